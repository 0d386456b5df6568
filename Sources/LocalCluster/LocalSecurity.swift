import Foundation
import PKI

/// TLS and auth for a local StatefulSet: the CA its members issue their certificates from, the
/// client certificate local tools use, and the root password.
public enum LocalSecurity {
  /// Turns on what was asked for a new cluster; an existing cluster keeps what it was created
  /// with (its members' URLs and its auth state are in its data).
  public static func configure(
    _ config: inout LocalClusterConfig, layout: LocalClusterLayout, tls: Bool, auth: Bool, validity: String?
  ) throws {
    let hasData = layout.hasMemberData
    if tls, config.tlsDirectory == nil, hasData {
      throw LocalClusterError(
        "the cluster in \(layout.directory) was created without TLS and its members' URLs are http: use a new --dir for a TLS cluster"
      )
    }
    if auth, config.rootPasswordFile == nil, hasData {
      throw LocalClusterError(
        "auth is turned on when a cluster forms, and the cluster in \(layout.directory) formed without it: use a new --dir"
      )
    }
    if auth, !tls, config.tlsDirectory == nil {
      throw LocalClusterError("--auth sends the root password over the network: add --tls")
    }
    if tls || config.tlsDirectory != nil {
      let directory = "\(layout.directory)/tls"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      _ = try CertificateAuthority.readOrCreate(in: directory, commonName: "etcd-pilot local CA")
      // etcd trusts another CA for clients than the one whose key the pods are given.
      let clientsDirectory = "\(layout.directory)/tls-clients"
      try FileManager.default.createDirectory(
        atPath: clientsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      let clients = try CertificateAuthority.readOrCreate(
        in: clientsDirectory, commonName: "etcd-pilot local clients CA")
      try clients.writeCertificate(to: directory, named: "clients-ca")
      // Local tools' and the pilots' certificates; issued again on every `up`, so they never run out.
      try clients.issue(commonName: "etcd-pilot-local", usage: .client).write(to: directory, name: "client")
      try clients.issue(commonName: "etcd-pilot", usage: .client).write(to: directory, name: "pilot")
      config.tlsDirectory = directory
      config.tlsClientsDirectory = clientsDirectory
      if let validity { config.tlsValidity = validity }
    }
    if auth, config.rootPasswordFile == nil {
      let directory = "\(layout.directory)/auth"
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      let file = "\(directory)/root-password"
      if !FileManager.default.fileExists(atPath: file) {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let password = String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
        guard
          FileManager.default.createFile(
            atPath: file, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        else {
          throw LocalClusterError("cannot write \(file): check the directory's permissions")
        }
      }
      config.rootPasswordFile = file
    }
  }

  /// For a rendered chart: the local tools take the CA and the root password from the Secrets the
  /// chart renders and its pods mount (`--tls-ca-dir`, `--auth-password-file`), as a user with
  /// `kubectl get secret` would.
  public static func adoptChart(
    _ chart: ChartManifest, config: inout LocalClusterConfig, layout: LocalClusterLayout
  ) throws {
    config.tlsDirectory = nil
    config.tlsClientsDirectory = nil
    config.rootPasswordFile = nil
    if let values = try mountedSecret(chart, flag: "--tls-ca-dir") {
      let directory = "\(layout.directory)/tls"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      guard let certificate = values["ca.crt"], let key = values["ca.key"] else {
        throw LocalClusterError("the chart's CA Secret has no ca.crt and ca.key")
      }
      let authority = try CertificateAuthority(
        certificatePEM: String(decoding: certificate, as: UTF8.self), keyPEM: String(decoding: key, as: UTF8.self))
      try authority.write(to: directory, includeKey: false)
      if let clients = try mountedSecret(chart, flag: "--tls-client-cert-file") {
        // etcd trusts the chart's clients' CA: the tools present the clients' certificate of its Secret.
        try copy(clients, of: "clients Secret", [("tls.crt", "client.crt"), ("tls.key", "client.key")], to: directory)
      } else {
        try authority.issue(commonName: "etcd-pilot-local", usage: .client).write(to: directory, name: "client")
      }
      config.tlsDirectory = directory
    }
    // Certificates kept by cert-manager: the tools use the members' certificate (it has client use).
    if config.tlsDirectory == nil, let values = try mountedSecret(chart, flag: "--tls-cert-file") {
      let directory = "\(layout.directory)/tls"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try copy(
        values, of: "certificate Secret", [("ca.crt", "ca.crt"), ("tls.crt", "client.crt"), ("tls.key", "client.key")],
        to: directory)
      config.tlsDirectory = directory
    }
    if let values = try mountedSecret(chart, flag: "--auth-password-file"), let password = values.values.first {
      let directory = "\(layout.directory)/auth"
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      let file = "\(directory)/root-password"
      guard FileManager.default.createFile(atPath: file, contents: password, attributes: [.posixPermissions: 0o600])
      else {
        throw LocalClusterError("cannot write \(file): check the directory's permissions")
      }
      config.rootPasswordFile = file
    }
  }

  /// Writes the Secret's `keys` into `directory` under their file names (mode 0600), as a user
  /// with `kubectl get secret` would.
  private static func copy(
    _ values: [String: Data], of secret: String, _ keys: [(key: String, file: String)], to directory: String
  ) throws {
    for (key, file) in keys {
      guard let value = values[key] else { throw LocalClusterError("the chart's \(secret) has no \(key)") }
      guard
        FileManager.default.createFile(
          atPath: "\(directory)/\(file)", contents: value, attributes: [.posixPermissions: 0o600])
      else {
        throw LocalClusterError("cannot write \(directory)/\(file)")
      }
    }
  }

  /// The Secret mounted where the container's `flag` points (`--flag=PATH` or `--flag PATH`).
  private static func mountedSecret(_ chart: ChartManifest, flag: String) throws -> [String: Data]? {
    let arguments = (chart.container.command ?? []) + (chart.container.args ?? [])
    var path: String?
    for (index, argument) in arguments.enumerated() {
      if argument.hasPrefix(flag + "=") { path = String(argument.dropFirst(flag.count + 1)) }
      if argument == flag, index + 1 < arguments.count { path = arguments[index + 1] }
    }
    guard let path else { return nil }
    let mount = chart.container.volumeMounts?
      .filter { path == $0.mountPath || path.hasPrefix($0.mountPath + "/") }
      .max { $0.mountPath.count < $1.mountPath.count }
    guard let mount, let volume = chart.statefulSet.spec.template.spec.volumes?.first(where: { $0.name == mount.name }),
      let secretName = volume.secret?.secretName
    else { return nil }
    return try chart.secret(secretName)
  }

}
