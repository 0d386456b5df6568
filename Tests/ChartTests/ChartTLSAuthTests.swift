import EtcdTestFixtures
import Foundation
import Testing

/// TLS (on by default; the CA generated at install, a CA Secret of the user's, or cert-manager) and
/// etcd's auth: the Secrets and the Certificate the chart renders, the flags, mounts and env the
/// agent and exec'd tools get, and the `helm test` pod's credentials.
@Suite("Chart: TLS and auth", .serialized, .timeLimit(.minutes(10)))
struct ChartTLSAuthTests {
  static let ns = ChartTools.namespace

  static func mount(_ container: YAMLValue, _ name: String) -> YAMLValue {
    YAMLValue(container["volumeMounts"].array.first { $0["name"].string == name }?.raw)
  }

  static func volume(_ pod: YAMLValue, _ name: String) -> YAMLValue {
    YAMLValue(pod["volumes"].array.first { $0["name"].string == name }?.raw)
  }

  static func script(_ testPod: YAMLValue) -> String {
    let container = testPod["spec"]["containers"][0]
    return (container["command"].strings + container["args"].strings).joined(separator: " ")
  }

  /// The secret volume `name` of `pod`: the Secret it mounts and the keys it projects.
  static func expectSecretVolume(
    _ pod: YAMLValue, _ name: String, secret: String, keys: [String], sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let volume = Self.volume(pod, name)
    #expect(volume["secret"]["secretName"].string == secret, "volume \(name)", sourceLocation: sourceLocation)
    #expect(
      volume["secret"]["items"].array.compactMap { $0["key"].string } == keys, "volume \(name)",
      sourceLocation: sourceLocation)
    #expect(
      volume["secret"]["items"].array.allSatisfy { $0["path"].string == $0["key"].string },
      sourceLocation: sourceLocation)
    #expect(
      volume["secret"]["optional"].bool != true, "a missing Secret must stop the pod, not start it without",
      sourceLocation: sourceLocation)
  }

  @Test("defaults: a generated ECDSA CA in <fullname>-ca, mounted read-only, the agent issuing from it")
  func generatedCA() async throws {
    let rendered = try await ChartTools.render()
    let secret = try rendered.one("Secret", named: "my-release-etcd-ca")
    #expect(secret["type"].string == "Opaque")
    #expect(secret["data"].keys == ["ca.crt", "ca.key"])
    #expect(
      secret["metadata"]["annotations"]["helm.sh/resource-policy"].string == "keep",
      "outlives uninstall, like the volumes")
    let key = try #require(secret.secretText("ca.key"))
    #expect(
      key.hasPrefix("-----BEGIN EC PRIVATE KEY-----\n"), "the agent accepts ECDSA CA keys only: \(key.prefix(40))")
    #expect(key.contains("-----END EC PRIVATE KEY-----"))
    // A P-256 key in SEC 1 form is 121 bytes: 5 lines of base64 (the P-384 one is 167 bytes).
    let body = key.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    #expect(Data(base64Encoded: body)?.count == 121, "not an ECDSA P-256 key")
    let certificate = try #require(secret.secretText("ca.crt"))
    #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----\n") && certificate.contains("-----END CERTIFICATE-----"))
    #expect(
      rendered.all("Secret").compactMap { $0["metadata"]["name"].string }.sorted() == [
        "my-release-etcd-ca", "my-release-etcd-clients",
      ],
      "the members' CA and the clients'; no password Secret without auth")
    #expect(rendered.custom.isEmpty, "no Certificate without certManager")

    let pod = try rendered.podSpec
    let container = try rendered.container
    let args = container["args"].strings
    #expect(args.contains("--tls-ca-dir=/etc/etcd-pilot/ca"))
    #expect(args.contains("--tls-validity=2160h"))
    #expect(
      args.filter { $0.hasPrefix("--tls-san=") }
        == [
          "my-release-etcd", "my-release-etcd.\(Self.ns)", "my-release-etcd.\(Self.ns).svc",
          "my-release-etcd.\(Self.ns).svc.cluster.local",
        ]
        .map { "--tls-san=\($0)" })
    #expect(!args.contains { $0.hasPrefix("--tls-cert-file") || $0.hasPrefix("--auth-password-file") })
    #expect(Self.mount(container, "ca")["mountPath"].string == "/etc/etcd-pilot/ca")
    #expect(Self.mount(container, "ca")["readOnly"].bool == true)
    Self.expectSecretVolume(pod, "ca", secret: "my-release-etcd-ca", keys: ["ca.crt", "ca.key"])
    // etcd trusts the clients' CA for clients; a member gets its certificate, never its key.
    #expect(
      args.filter { $0.hasPrefix("--tls-client-") } == [
        "--tls-client-ca-file=/etc/etcd-pilot/clients/ca.crt", "--tls-client-cert-file=/etc/etcd-pilot/clients/tls.crt",
        "--tls-client-key-file=/etc/etcd-pilot/clients/tls.key",
      ])
    #expect(Self.mount(container, "clients")["mountPath"].string == "/etc/etcd-pilot/clients")
    #expect(Self.mount(container, "clients")["readOnly"].bool == true)
    Self.expectSecretVolume(pod, "clients", secret: "my-release-etcd-clients", keys: ["ca.crt", "tls.crt", "tls.key"])

    let env = container["env"]
    #expect(env.env("ETCDCTL_ENDPOINTS")["value"].string?.hasPrefix("https://") == true)
    #expect(env.env("ETCDCTL_CACERT")["value"].string == "/var/run/etcd/tls/ca.crt")
    #expect(env.env("ETCDCTL_CERT")["value"].string == "/etc/etcd-pilot/clients/tls.crt")
    #expect(env.env("ETCDCTL_KEY")["value"].string == "/etc/etcd-pilot/clients/tls.key")
    #expect(!env.env("ETCDCTL_USER").exists && !env.env("ETCDCTL_PASSWORD").exists)
    // The pilot port speaks TLS with the cluster: the probes are HTTPS (a kubelet checks no
    // certificate and presents none; /healthz and /readyz need none). Without TLS, plain HTTP.
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
      #expect(container[probe]["httpGet"]["port"].string == "pilot")
      #expect(container[probe]["httpGet"]["scheme"].string == "HTTPS")
    }
    let plain = try await ChartTools.render(ChartValueSets.tlsOff).container
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
      #expect(!plain[probe]["httpGet"]["scheme"].exists)
    }

    // helm test presents the clients' certificate and checks the servers with the members' CA
    // certificate: it holds no CA key at all.
    let test = try rendered.one("Pod")
    Self.expectSecretVolume(test["spec"], "ca", secret: "my-release-etcd-ca", keys: ["ca.crt"])
    Self.expectSecretVolume(
      test["spec"], "clients", secret: "my-release-etcd-clients", keys: ["ca.crt", "tls.crt", "tls.key"])
    #expect(test["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"].bool == true)
    #expect(
      Self.script(test).contains(
        "--cacert=/etc/etcd-pilot/ca/ca.crt --cert=/etc/etcd-pilot/clients/tls.crt --key=/etc/etcd-pilot/clients/tls.key"
      ),
      "\(Self.script(test))")
    #expect(!Self.script(test).contains("certs client"))
  }

  @Test(
    "the clients' CA: its own ECDSA CA and the agents' client certificate (CN etcd-pilot) in <fullname>-clients, kept like the CA"
  )
  func clientsCA() async throws {
    let rendered = try await ChartTools.render()
    let secret = try rendered.one("Secret", named: "my-release-etcd-clients")
    #expect(secret["data"].keys == ["ca.crt", "ca.key", "tls.crt", "tls.key"])
    #expect(secret["metadata"]["annotations"]["helm.sh/resource-policy"].string == "keep")
    #expect(secret.secretText("ca.key")?.hasPrefix("-----BEGIN EC PRIVATE KEY-----\n") == true)
    #expect(secret.secretText("tls.key")?.hasPrefix("-----BEGIN EC PRIVATE KEY-----\n") == true)
    let members = try rendered.one("Secret", named: "my-release-etcd-ca")
    #expect(secret["data"]["ca.crt"].string != members["data"]["ca.crt"].string, "one CA for members and clients")
    // The client certificate is the clients' CA's: checked with openssl, as a user would.
    let directory = try ChartTools.scratchDirectory("clients-ca")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for (key, file) in [("ca.crt", "clients-ca.crt"), ("tls.crt", "client.crt")] {
      try #require(secret.secretText(key)).write(toFile: "\(directory)/\(file)", atomically: true, encoding: .utf8)
    }
    try #require(members.secretText("ca.crt")).write(
      toFile: "\(directory)/members-ca.crt", atomically: true, encoding: .utf8)
    let verified = try ProcessOutput.run(
      "/usr/bin/openssl", ["verify", "-CAfile", "\(directory)/clients-ca.crt", "\(directory)/client.crt"])
    #expect(verified.exitCode == 0, "\(verified.output)")
    let foreign = try ProcessOutput.run(
      "/usr/bin/openssl", ["verify", "-CAfile", "\(directory)/members-ca.crt", "\(directory)/client.crt"])
    #expect(foreign.exitCode != 0, "the members' CA verifies the clients' certificate: \(foreign.output)")
    let subject = try ProcessOutput.run(
      "/usr/bin/openssl", ["x509", "-in", "\(directory)/client.crt", "-noout", "-subject"])
    #expect(subject.output.contains("CN = etcd-pilot") || subject.output.contains("CN=etcd-pilot"), "\(subject.output)")
  }

  @Test("each render without a cluster makes a new CA, yet the pod template stays the same (no rolling restart)")
  func podTemplateIndependentOfTheCA() async throws {
    let first = try await ChartTools.render()
    let second = try await ChartTools.render()
    let firstKey = try first.one("Secret", named: "my-release-etcd-ca")["data"]["ca.key"].string
    let secondKey = try second.one("Secret", named: "my-release-etcd-ca")["data"]["ca.key"].string
    #expect(
      try first.one("Secret", named: "my-release-etcd-clients")["data"]["ca.key"].string
        != second.one("Secret", named: "my-release-etcd-clients")["data"]["ca.key"].string)
    #expect(firstKey != nil && firstKey != secondKey)
    #expect(try first.statefulSet["spec"]["template"].canonical == second.statefulSet["spec"]["template"].canonical)
  }

  @Test("helm upgrade keeps the CA and the root password found in the cluster")
  func upgradeKeepsSecrets() async throws {
    let caCert = Data("-----BEGIN CERTIFICATE-----\nkept\n-----END CERTIFICATE-----\n".utf8).base64EncodedString()
    let caKey = Data("-----BEGIN EC PRIVATE KEY-----\nkept\n-----END EC PRIVATE KEY-----\n".utf8).base64EncodedString()
    let password = Data("kept-root-password".utf8).base64EncodedString()
    let kept = try await ChartTools.renderWithSecretsInCluster(
      ["ca.crt": caCert, "ca.key": caKey, "root-password": password], ["--set", "auth.enabled=true"])
    let ca = try kept.one("Secret", named: "my-release-etcd-ca")
    #expect(ca["data"]["ca.crt"].string == caCert)
    #expect(ca["data"]["ca.key"].string == caKey)
    #expect(try kept.one("Secret", named: "my-release-etcd-auth")["data"]["root-password"].string == password)

    // A Secret in the cluster without both CA keys (or without the password) is replaced.
    let partial = try await ChartTools.renderWithSecretsInCluster(["ca.crt": caCert], ["--set", "auth.enabled=true"])
    let fresh = try partial.one("Secret", named: "my-release-etcd-ca")
    #expect(fresh["data"]["ca.crt"].string != caCert)
    #expect(fresh.secretText("ca.key")?.hasPrefix("-----BEGIN EC PRIVATE KEY-----") == true)
    #expect((try partial.one("Secret", named: "my-release-etcd-auth").secretText("root-password") ?? "").count == 32)
  }

  @Test("tls.ca.existingSecret and auth.existingSecret: only the clients' CA rendered, the named ones mounted")
  func existingSecrets() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.existingSecrets)
    #expect(rendered.all("Secret").compactMap { $0["metadata"]["name"].string } == ["my-release-etcd-clients"])
    let pod = try rendered.podSpec
    let container = try rendered.container
    Self.expectSecretVolume(pod, "ca", secret: "my-etcd-ca", keys: ["ca.crt", "ca.key"])
    Self.expectSecretVolume(pod, "auth", secret: "etcd-root", keys: ["root-password"])
    #expect(
      container["args"].strings
        == ChartRenderTests.expectedArgs()
        + ChartRenderTests.caArgs(validity: "720h", extraSANs: ["etcd.example.com", "10.0.0.5"])
        + ["--auth-password-file=/etc/etcd-pilot/auth/root-password"])
    #expect(container["env"].env("ETCDCTL_PASSWORD")["valueFrom"]["secretKeyRef"]["name"].string == "etcd-root")
    let test = try rendered.one("Pod")["spec"]
    Self.expectSecretVolume(test, "ca", secret: "my-etcd-ca", keys: ["ca.crt"])
    Self.expectSecretVolume(test, "auth", secret: "etcd-root", keys: ["root-password"])
  }

  @Test("cert-manager: one Certificate for every member and the client Service; its files passed to the agent")
  func certManager() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.certManagerWithAuth)
    #expect(rendered.all("Secret").map { $0["metadata"]["name"].string } == ["my-release-etcd-auth"], "no CA Secret")
    let certificate = try rendered.one("Certificate", named: "my-release-etcd-tls")
    #expect(
      CustomResources.certificateProblems(certificate).isEmpty, "\(CustomResources.certificateProblems(certificate))")
    #expect(certificate["apiVersion"].string == "cert-manager.io/v1")
    #expect(certificate["metadata"]["namespace"].string == Self.ns)
    let spec = certificate["spec"]
    #expect(spec["secretName"].string == "my-release-etcd-tls")
    #expect(
      spec["issuerRef"].canonical
        == canonical(["name": "etcd-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"]))
    #expect(spec["duration"].string == "4320h")
    #expect(spec["renewBefore"].string == "1440h")
    #expect(spec["privateKey"]["algorithm"].string == "ECDSA" && spec["privateKey"]["size"].int == 256)
    #expect(Set(spec["usages"].strings).isSuperset(of: ["server auth", "client auth"]))
    let headless = "my-release-etcd-headless"
    let client = "my-release-etcd"
    #expect(
      spec["dnsNames"].strings == [
        "*.\(headless)", "*.\(headless).\(Self.ns)", "*.\(headless).\(Self.ns).svc",
        "*.\(headless).\(Self.ns).svc.cluster.local",
        headless, "\(headless).\(Self.ns)", "\(headless).\(Self.ns).svc", "\(headless).\(Self.ns).svc.cluster.local",
        client, "\(client).\(Self.ns)", "\(client).\(Self.ns).svc", "\(client).\(Self.ns).svc.cluster.local",
        "localhost",
        "etcd.example.com",
      ])
    #expect(spec["ipAddresses"].strings == ["127.0.0.1", "10.0.0.5", "fd00::5"])

    let pod = try rendered.podSpec
    let container = try rendered.container
    #expect(
      container["args"].strings
        == ChartRenderTests.expectedArgs() + [
          "--tls-cert-file=/etc/etcd-pilot/tls/tls.crt", "--tls-key-file=/etc/etcd-pilot/tls/tls.key",
          "--tls-ca-file=/etc/etcd-pilot/tls/ca.crt", "--auth-password-file=/etc/etcd-pilot/auth/root-password",
        ])
    #expect(Self.mount(container, "tls")["mountPath"].string == "/etc/etcd-pilot/tls")
    #expect(Self.mount(container, "tls")["readOnly"].bool == true)
    #expect(
      Self.mount(container, "tls")["subPath"].exists == false, "a subPath mount never sees cert-manager's renewals")
    #expect(!Self.mount(container, "ca").exists)
    Self.expectSecretVolume(pod, "tls", secret: "my-release-etcd-tls", keys: ["tls.crt", "tls.key", "ca.crt"])
    let env = container["env"]
    #expect(env.env("ETCDCTL_CACERT")["value"].string == "/etc/etcd-pilot/tls/ca.crt")
    #expect(env.env("ETCDCTL_CERT")["value"].string == "/etc/etcd-pilot/tls/tls.crt")
    #expect(env.env("ETCDCTL_KEY")["value"].string == "/etc/etcd-pilot/tls/tls.key")

    let test = try rendered.one("Pod")
    Self.expectSecretVolume(test["spec"], "tls", secret: "my-release-etcd-tls", keys: ["tls.crt", "tls.key", "ca.crt"])
    let script = Self.script(test)
    #expect(!script.contains("certs client"))
    #expect(
      script.contains(
        "--cacert=/etc/etcd-pilot/tls/ca.crt --cert=/etc/etcd-pilot/tls/tls.crt --key=/etc/etcd-pilot/tls/tls.key"))
  }

  @Test("cert-manager with the defaults: kind Issuer, no renewBefore (cert-manager's two thirds)")
  func certManagerDefaults() async throws {
    let rendered = try await ChartTools.render([
      "--set", "tls.certManager.enabled=true", "--set", "tls.certManager.issuerRef.name=etcd-ca",
    ])
    let spec = try rendered.one("Certificate")["spec"]
    #expect(
      spec["issuerRef"].canonical == canonical(["name": "etcd-ca", "kind": "Issuer", "group": "cert-manager.io"]))
    #expect(spec["duration"].string == "2160h")
    #expect(!spec["renewBefore"].exists)
    #expect(spec["ipAddresses"].strings == ["127.0.0.1"])
    #expect(rendered.all("Secret").isEmpty)
  }

  @Test("auth with a generated password: its Secret, the agent's flag, and env for exec'd tools and helm test")
  func generatedPassword() async throws {
    let rendered = try await ChartTools.render(["--set", "auth.enabled=true"])
    let secret = try rendered.one("Secret", named: "my-release-etcd-auth")
    #expect(secret["data"].keys == ["root-password"])
    #expect(
      secret["metadata"]["annotations"]["helm.sh/resource-policy"].string == "keep",
      "etcd keeps the password in its data")
    let password = try #require(secret.secretText("root-password"))
    #expect(password.count == 32 && password.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }, "\(password)")

    let set = try rendered.statefulSet
    let pod = try rendered.podSpec
    let container = try rendered.container
    #expect(container["args"].strings.last == "--auth-password-file=/etc/etcd-pilot/auth/root-password")
    #expect(container["args"].strings.contains("--tls-ca-dir=/etc/etcd-pilot/ca"), "auth comes with TLS")
    #expect(Self.mount(container, "auth")["mountPath"].string == "/etc/etcd-pilot/auth")
    #expect(Self.mount(container, "auth")["readOnly"].bool == true)
    Self.expectSecretVolume(pod, "auth", secret: "my-release-etcd-auth", keys: ["root-password"])
    let env = container["env"]
    #expect(
      env.array.compactMap { $0["name"].string } == ChartRenderTests.memberEnv + ["ETCDCTL_USER", "ETCDCTL_PASSWORD"])
    #expect(env.env("ETCDCTL_USER")["value"].string == "root")
    #expect(
      env.env("ETCDCTL_PASSWORD")["valueFrom"]["secretKeyRef"].canonical
        == canonical(["name": "my-release-etcd-auth", "key": "root-password"]))
    // The password in env is justified for checkov (etcdctl reads no password file).
    #expect(set["metadata"]["annotations"].stringMap.values.contains { $0.hasPrefix("CKV_K8S_35=") })

    let test = try rendered.one("Pod")
    Self.expectSecretVolume(test["spec"], "auth", secret: "my-release-etcd-auth", keys: ["root-password"])
    #expect(!test["spec"]["containers"][0]["env"].env("ETCDCTL_PASSWORD").exists, "the test pod reads the mounted file")
    let script = Self.script(test)
    #expect(script.contains("ETCDCTL_USER=root"))
    #expect(script.contains("ETCDCTL_PASSWORD=$(cat /etc/etcd-pilot/auth/root-password)"))
    #expect(script.contains("export ETCDCTL_USER ETCDCTL_PASSWORD"))
    if let login = script.range(of: "export ETCDCTL_USER"), let put = script.range(of: "--command-timeout=15s put") {
      #expect(login.lowerBound < put.lowerBound)
    }
  }

  @Test("tls.enabled=false: plain http, no Secret, no TLS flags, mounts or env")
  func tlsOff() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.tlsOff)
    #expect(rendered.all("Secret").isEmpty && rendered.custom.isEmpty)
    let pod = try rendered.podSpec
    let container = try rendered.container
    #expect(container["args"].strings == ChartRenderTests.expectedArgs())
    #expect(
      container["env"].array.compactMap { $0["name"].string }
        == ["POD_NAME", "POD_NAMESPACE", "POD_UID", "POD_IP", "ETCDCTL_API", "ETCDCTL_ENDPOINTS"])
    #expect(container["env"].env("ETCDCTL_ENDPOINTS")["value"].string?.hasPrefix("http://") == true)
    #expect(container["volumeMounts"].array.compactMap { $0["name"].string } == ["data", "tmp"])
    #expect(pod["volumes"].array.compactMap { $0["name"].string } == ["tmp"])
    let test = try rendered.one("Pod")
    #expect(test["spec"]["containers"][0]["env"].env("ETCDCTL_ENDPOINTS")["value"].string?.hasPrefix("http://") == true)
    #expect(test["spec"]["volumes"].array.compactMap { $0["name"].string } == ["tmp"])
    let script = Self.script(test)
    #expect(!script.contains("certs client") && !script.contains("--cacert"))
  }

  @Test("extra names go to every certificate; TLS flags in extraArgs are etcd-pilot's only while TLS is on")
  func extraSANsAndArgs() async throws {
    let rendered = try await ChartTools.render(["--set-json", #"tls.extraSANs=["etcd.example.com","my-release-etcd"]"#])
    let sans = try rendered.container["args"].strings.filter { $0.hasPrefix("--tls-san=") }
    #expect(sans.last == "--tls-san=etcd.example.com")
    #expect(sans.filter { $0 == "--tls-san=my-release-etcd" }.count == 1, "a name given twice is passed once")
    let off = try await ChartTools.render(ChartValueSets.tlsOff + ["--set-json", #"extraArgs=["--cert-file=/x.crt"]"#])
    #expect(try off.container["args"].strings.suffix(2) == ["--", "--cert-file=/x.crt"])
  }

  @Test("NOTES tell how to connect with TLS and with auth")
  func notes() async throws {
    let notes = try await ChartTools.notes()
    #expect(notes.contains("https://my-release-etcd.\(Self.ns).svc.cluster.local:2379"), "\(notes)")
    #expect(notes.contains("ETCDCTL_CACERT"))
    #expect(
      notes.contains("kubectl get secret -n \(Self.ns) my-release-etcd-clients -o jsonpath='{.data.ca\\.key}'"),
      "\(notes)")
    #expect(
      notes.contains(
        "kubectl get secret -n \(Self.ns) my-release-etcd-ca -o jsonpath='{.data.ca\\.crt}' | base64 -d > members-ca.crt"
      ))
    #expect(notes.contains("etcd-pilot certs client my-app --ca-dir clients-ca --out tls"))
    #expect(notes.contains("--cacert members-ca.crt --cert tls/my-app.crt --key tls/my-app.key"))
    #expect(notes.contains("no pod holds the clients' CA key"))
    #expect(!notes.contains("root-password"))

    let withAuth = try await ChartTools.notes(ChartValueSets.certManagerWithAuth)
    #expect(
      withAuth.contains("kubectl get secret -n \(Self.ns) my-release-etcd-auth -o jsonpath='{.data.root-password}'"),
      "\(withAuth)")
    #expect(withAuth.contains("--user root --password"))
    #expect(withAuth.contains("ClusterIssuer etcd-ca"))
    #expect(!withAuth.contains("certs client"))

    let plain = try await ChartTools.notes(ChartValueSets.tlsOff)
    #expect(plain.contains("http://my-release-etcd.\(Self.ns).svc.cluster.local:2379"))
    #expect(!plain.contains("TLS:") && !plain.contains("certs client"))
  }
}
