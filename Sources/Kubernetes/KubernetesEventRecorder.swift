import Foundation
import Pilot

/// Records Kubernetes Events on this pod for membership changes, so `kubectl describe pod` and
/// `kubectl get events` tell what the agent did.
public struct KubernetesEventRecorder: EventRecorder {
  public let client: KubernetesClient
  public let namespace: String
  public let pod: String
  public let uid: String?

  public init(client: KubernetesClient, namespace: String, pod: String, uid: String?) {
    self.client = client
    self.namespace = namespace
    self.pod = pod
    self.uid = uid
  }

  public func record(reason: String, message: String, warning: Bool) async {
    let now = ISO8601DateFormatter().string(from: Date())
    let event = KubernetesObjects.Event(
      metadata: .init(name: "\(pod).\(String(UInt64.random(in: 0...UInt64.max), radix: 16))", namespace: namespace),
      involvedObject: .init(name: pod, namespace: namespace, uid: uid), reason: reason, message: message,
      type: warning ? "Warning" : "Normal", source: .init(component: "etcd-pilot", host: nil), firstTimestamp: now,
      lastTimestamp: now, count: 1)
    guard let body = try? JSONEncoder().encode(event) else { return }
    // Events are best effort: the agent's work never waits on them.
    _ = try? await client.send(.POST, "/api/v1/namespaces/\(namespace)/events", body: body)
  }
}
