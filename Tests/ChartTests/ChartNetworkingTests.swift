import EtcdTestFixtures
import Foundation
import Testing

/// Port names that etcd's DNS discovery finds as SRV records, the same names in the members'
/// certificates whichever source issues them, and the client Service's type, annotations and
/// source ranges.
@Suite("Chart: networking", .serialized, .timeLimit(.minutes(10)))
struct ChartNetworkingTests {
  static let ns = ChartTools.namespace

  /// etcd looks clients up as `_etcd-client-ssl._tcp.<domain>` (https) or `_etcd-client._tcp`, and
  /// peers as `_etcd-server-ssl._tcp`/`_etcd-server._tcp`; Kubernetes publishes a Service port
  /// named N as `_N._tcp.<service>.<namespace>.svc.<domain>`.
  @Test(
    "ports are named as etcd's DNS discovery looks them up: etcd-client-ssl/etcd-server-ssl with TLS, etcd-client/etcd-server without"
  )
  func srvPortNames() async throws {
    for (arguments, client, peer) in [
      ([], "etcd-client-ssl", "etcd-server-ssl"), (ChartValueSets.tlsOff, "etcd-client", "etcd-server"),
    ] {
      let rendered = try await ChartTools.render(arguments)
      let container = try rendered.container
      let ports = container["ports"]
      #expect(ports.array.compactMap { $0["name"].string } == [client, peer, "pilot"], "\(arguments)")
      #expect(ports.port(client) == 2379 && ports.port(peer) == 2380 && ports.port("pilot") == 2390)
      #expect(ports.array.allSatisfy { ($0["name"].string ?? "").count <= 15 }, "a port name is at most 15 characters")
      let headless = try rendered.one("Service", named: "my-release-etcd-headless")["spec"]["ports"]
      #expect(headless.array.compactMap { $0["name"].string } == [client, peer, "pilot"])
      #expect(
        headless.array.allSatisfy { $0["targetPort"].string == $0["name"].string && $0["protocol"].string == "TCP" })
      let service = try rendered.one("Service", named: "my-release-etcd")["spec"]["ports"]
      #expect(service.array.compactMap { $0["name"].string } == [client] && service.port(client) == 2379)
      #expect(service[0]["targetPort"].string == client)
      // The probes and the NetworkPolicy name the same ports.
      for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        #expect(container[probe]["httpGet"]["port"].string == "pilot")
      }
      let policy = try rendered.one("NetworkPolicy", named: "my-release-etcd")["spec"]["ingress"]
      #expect(policy[0]["ports"].array.compactMap { $0["port"].int } == [2379, 2380, 2390])
      #expect(policy[1]["ports"].array.compactMap { $0["port"].int } == [2379])
    }
  }

  /// The agents' member certificates (CA mode) name the pod, `<pod>.<headless>` and `<headless>` in
  /// four forms each, `localhost`, `127.0.0.1` and the pod's address (Pilot's MemberCertificate),
  /// plus the client Service's names the chart passes as --tls-san. cert-manager's one Certificate
  /// covers the pods with a wildcard and must name the rest the same way.
  @Test(
    "cert-manager's Certificate names the headless Service, the client Service and localhost, as the CA mode's certificates do"
  )
  func sameNamesInBothModes() async throws {
    let headless = "my-release-etcd-headless"
    let client = "my-release-etcd"
    let forms = { (name: String) in
      [name, "\(name).\(Self.ns)", "\(name).\(Self.ns).svc", "\(name).\(Self.ns).svc.cluster.local"]
    }
    let certificate = try await ChartTools.render(ChartValueSets.certManagerWithAuth).one("Certificate")
    let dns = Set(certificate["spec"]["dnsNames"].strings)
    for name in forms(headless) + forms(client) + forms(headless).map({ "*.\($0)" }) + [
      "localhost", "etcd.example.com",
    ] {
      #expect(dns.contains(name), "the Certificate lacks \(name): \(dns.sorted())")
    }
    #expect(certificate["spec"]["ipAddresses"].strings.contains("127.0.0.1"))
    #expect(
      CustomResources.certificateProblems(certificate).isEmpty, "\(CustomResources.certificateProblems(certificate))")
    // CA mode: the client Service's names reach the agent, which adds the pod's and headless names.
    let sans = try await ChartTools.render().container["args"].strings.filter { $0.hasPrefix("--tls-san=") }
    #expect(sans == forms(client).map { "--tls-san=\($0)" })
  }

  @Test(
    "the client Service: type, annotations, load balancer source ranges and node port; the headless Service stays ClusterIP None"
  )
  func clientService() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.conventions)
    let service = try rendered.one("Service", named: "my-release-etcd")
    #expect(service["spec"]["type"].string == "LoadBalancer")
    #expect(service["spec"]["loadBalancerSourceRanges"].strings == ["10.0.0.0/8", "192.168.0.0/16"])
    #expect(
      service["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-internal"].string == "true")
    #expect(service["metadata"]["annotations"]["example.com/owner"].string == "storage-team", "commonAnnotations too")
    #expect(service["spec"]["ports"][0]["nodePort"].int == 32379)
    let headless = try rendered.one("Service", named: "my-release-etcd-headless")
    #expect(headless["spec"]["type"].string == "ClusterIP" && headless["spec"]["clusterIP"].string == "None")
    #expect(!headless["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-internal"].exists)
    let notes = try await ChartTools.notes(ChartValueSets.conventions)
    #expect(notes.contains("LoadBalancer"), "\(notes)")
    #expect(notes.contains("tls.extraSANs"), "\(notes)")

    let nodePort = try await ChartTools.render(["--set", "service.type=NodePort"]).one(
      "Service", named: "my-release-etcd")
    #expect(nodePort["spec"]["type"].string == "NodePort" && !nodePort["spec"]["ports"][0]["nodePort"].exists)
  }

  @Test("Service settings Kubernetes would reject are refused at render")
  func serviceRefusals() async throws {
    try await ChartTools.expectRefused([
      (
        ["--set-json", #"service.loadBalancerSourceRanges=["10.0.0.0/8"]"#],
        "service.loadBalancerSourceRanges applies to service.type LoadBalancer only"
      ),
      (["--set", "service.nodePort=32379"], "service.nodePort needs service.type NodePort or LoadBalancer"),
      (["--set", "service.type=ExternalName"], "/service/type"),
      (["--set", "service.type=NodePort", "--set", "service.nodePort=70000"], "/service/nodePort"),
    ])
  }
}
