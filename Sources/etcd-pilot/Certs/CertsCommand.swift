import ArgumentParser

/// `etcd-pilot certs`: the CA members issue their certificates from, and client certificates.
struct CertsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "certs",
    abstract: "Creates the CA for a TLS cluster and issues client certificates from it.",
    subcommands: [CertsCACommand.self, CertsClientCommand.self])
}
