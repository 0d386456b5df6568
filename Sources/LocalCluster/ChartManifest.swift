import Foundation
import Yams

/// The parts of a rendered chart the local StatefulSet runs: the StatefulSet (its pod
/// template, volume claims, service name, grace period) and its Services. Decoded from
/// `helm template` output; everything else in the objects is ignored.
public struct ChartManifest: Sendable {
  public struct EnvVar: Codable, Sendable, Hashable {
    public struct Source: Codable, Sendable, Hashable {
      public struct FieldRef: Codable, Sendable, Hashable { public var fieldPath: String }
      public struct KeyRef: Codable, Sendable, Hashable {
        public var name: String
        public var key: String
      }
      public var fieldRef: FieldRef?
      public var secretKeyRef: KeyRef?
    }
    public var name: String
    public var value: String?
    public var valueFrom: Source?
  }

  public struct Probe: Codable, Sendable, Hashable {
    public struct HTTPGet: Codable, Sendable, Hashable {
      public var path: String?
      public var port: PortReference
      /// `HTTP` (the default) or `HTTPS`, which a kubelet speaks without checking the
      /// server's certificate and without one of its own.
      public var scheme: String?

      func url(address: String, port: Int) -> String {
        "\(scheme?.uppercased() == "HTTPS" ? "https" : "http")://\(address):\(port)\(path ?? "/")"
      }
    }
    public var httpGet: HTTPGet?
    public var initialDelaySeconds: Int?
    public var periodSeconds: Int?
    public var timeoutSeconds: Int?
    public var failureThreshold: Int?
    public var successThreshold: Int?
  }

  /// A port by number or by name.
  public enum PortReference: Codable, Sendable, Hashable {
    case number(Int)
    case name(String)

    public init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let number = try? container.decode(Int.self) {
        self = .number(number)
      } else {
        self = .name(try container.decode(String.self))
      }
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .number(let number): try container.encode(number)
      case .name(let name): try container.encode(name)
      }
    }
  }

  public struct Handler: Codable, Sendable, Hashable {
    public struct Exec: Codable, Sendable, Hashable { public var command: [String]? }
    public var exec: Exec?
    public var httpGet: Probe.HTTPGet?
  }

  public struct Container: Codable, Sendable, Hashable {
    public struct Port: Codable, Sendable, Hashable {
      public var name: String?
      public var containerPort: Int
    }
    public struct VolumeMount: Codable, Sendable, Hashable {
      public var name: String
      public var mountPath: String
    }
    public struct Lifecycle: Codable, Sendable, Hashable { public var preStop: Handler? }
    public struct SecurityContext: Codable, Sendable, Hashable {
      public var runAsUser: Int?
      public var runAsGroup: Int?
    }
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var env: [EnvVar]?
    public var ports: [Port]?
    public var volumeMounts: [VolumeMount]?
    public var startupProbe: Probe?
    public var readinessProbe: Probe?
    public var livenessProbe: Probe?
    public var lifecycle: Lifecycle?
    public var securityContext: SecurityContext?

    public func port(_ reference: PortReference) -> Int? {
      switch reference {
      case .number(let number): number
      case .name(let name): ports?.first { $0.name == name }?.containerPort
      }
    }
  }

  public struct Volume: Codable, Sendable, Hashable {
    public struct EmptyDir: Codable, Sendable, Hashable {}
    public struct Secret: Codable, Sendable, Hashable {
      /// One key of the Secret projected as the file `path`.
      public struct Item: Codable, Sendable, Hashable {
        public var key: String
        public var path: String
      }
      public var secretName: String?
      public var defaultMode: Int?
      /// The keys the volume holds; all of the Secret's when absent.
      public var items: [Item]?
    }
    public struct ConfigMapSource: Codable, Sendable, Hashable { public var name: String? }
    public var name: String
    public var emptyDir: EmptyDir?
    public var secret: Secret?
    public var configMap: ConfigMapSource?
  }

  public struct PodSpec: Codable, Sendable, Hashable {
    public struct SecurityContext: Codable, Sendable, Hashable {
      public var runAsUser: Int?
      public var runAsGroup: Int?
      public var fsGroup: Int?
    }
    public var containers: [Container]
    public var volumes: [Volume]?
    public var terminationGracePeriodSeconds: Int?
    public var securityContext: SecurityContext?
    public var automountServiceAccountToken: Bool?
  }

  public struct Metadata: Codable, Sendable, Hashable {
    public var name: String?
    public var labels: [String: String]?
  }

  public struct StatefulSet: Codable, Sendable, Hashable {
    public struct Spec: Codable, Sendable, Hashable {
      public struct Selector: Codable, Sendable, Hashable { public var matchLabels: [String: String]? }
      public struct Template: Codable, Sendable, Hashable {
        public var metadata: Metadata?
        public var spec: PodSpec
      }
      public struct Claim: Codable, Sendable, Hashable { public var metadata: Metadata }
      public var replicas: Int?
      public var serviceName: String?
      public var podManagementPolicy: String?
      public var selector: Selector
      public var template: Template
      public var volumeClaimTemplates: [Claim]?
    }
    public var metadata: Metadata
    public var spec: Spec
  }

  public struct Service: Codable, Sendable, Hashable {
    public struct Spec: Codable, Sendable, Hashable {
      public var clusterIP: String?
      public var publishNotReadyAddresses: Bool?
      public var selector: [String: String]?
    }
    public var metadata: Metadata
    public var spec: Spec
  }

  /// A Secret the chart renders (its generated CA, its generated root password).
  public struct Secret: Codable, Sendable, Hashable {
    public var metadata: Metadata
    public var data: [String: String]?
    public var stringData: [String: String]?

    /// Each key's bytes: `data` is base64, `stringData` plain text.
    public func values() throws(LocalClusterError) -> [String: Data] {
      var values: [String: Data] = [:]
      for (key, encoded) in data ?? [:] {
        guard let bytes = Data(base64Encoded: encoded) else {
          throw LocalClusterError("Secret \(metadata.name ?? "?"): data.\(key) is not base64")
        }
        values[key] = bytes
      }
      for (key, text) in stringData ?? [:] { values[key] = Data(text.utf8) }
      return values
    }
  }

  public var statefulSet: StatefulSet
  public var services: [Service]
  public var secrets: [Secret] = []

  /// Reads `helm template` output (several YAML documents).
  public static func parse(_ yaml: String) throws(LocalClusterError) -> ChartManifest {
    struct Kind: Decodable { var kind: String? }
    var statefulSets: [StatefulSet] = []
    var services: [Service] = []
    var secrets: [Secret] = []
    do {
      let decoder = YAMLDecoder()
      for document in yaml.components(separatedBy: "\n---") {
        guard document.contains("kind:") else { continue }
        let kind = try decoder.decode(Kind.self, from: document).kind
        switch kind {
        case "StatefulSet": statefulSets.append(try decoder.decode(StatefulSet.self, from: document))
        case "Service": services.append(try decoder.decode(Service.self, from: document))
        case "Secret": secrets.append(try decoder.decode(Secret.self, from: document))
        default: continue
        }
      }
    } catch {
      throw LocalClusterError("the rendered chart cannot be read: \(error)")
    }
    guard statefulSets.count == 1, let statefulSet = statefulSets.first else {
      throw LocalClusterError("the rendered chart holds \(statefulSets.count) StatefulSets; one is expected")
    }
    guard !statefulSet.spec.template.spec.containers.isEmpty else {
      throw LocalClusterError("the StatefulSet's pod template has no container")
    }
    return ChartManifest(statefulSet: statefulSet, services: services, secrets: secrets)
  }

  public var container: Container { statefulSet.spec.template.spec.containers[0] }

  /// The rendered Secret `name`; one the chart only refers to (an existing Secret) is not here.
  public func secret(_ name: String) throws(LocalClusterError) -> [String: Data] {
    guard let secret = secrets.first(where: { $0.metadata.name == name }) else {
      throw LocalClusterError(
        "Secret \(name) is not in the rendered chart (an existing Secret): the local runner only has the Secrets the chart renders"
      )
    }
    return try secret.values()
  }

  /// The headless Service that gives the pods their DNS names.
  public var headlessService: Service? {
    services.first { $0.metadata.name == statefulSet.spec.serviceName && $0.spec.clusterIP == "None" }
  }
}
