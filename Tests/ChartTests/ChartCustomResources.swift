import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The chart's custom resources: cert-manager's `Certificate` (cert-manager.io/v1). kubernetes-validate
/// ships schemas for Kubernetes' own kinds only (it warns "Couldn't find schema" and passes the
/// object), and the cert-manager CRD is not available offline, so the Certificate's shape is checked
/// here instead: apiVersion and kind, metadata, and every field the chart can render checked against
/// the cert-manager v1 field names (an unknown or misspelt field is a problem, as in --strict), with
/// types, the usage names cert-manager accepts, Go durations, DNS names and IP addresses.
enum CustomResources {
  static let groups: Set<String> = ["cert-manager.io"]

  static func isCustom(_ object: YAMLValue) -> Bool {
    let apiVersion = object["apiVersion"].string ?? ""
    guard let slash = apiVersion.firstIndex(of: "/") else { return false }
    return groups.contains(String(apiVersion[..<slash]))
  }

  /// Fields of a cert-manager.io/v1 Certificate's spec.
  static let certificateSpecFields: Set<String> = [
    "additionalOutputFormats", "commonName", "dnsNames", "duration", "emailAddresses", "encodeUsagesInRequest",
    "ipAddresses",
    "isCA", "issuerRef", "keystores", "literalSubject", "nameConstraints", "otherNames", "privateKey", "renewBefore",
    "renewBeforePercentage", "revisionHistoryLimit", "secretName", "secretTemplate", "signatureAlgorithm", "subject",
    "uris",
    "usages",
  ]
  static let metadataFields: Set<String> = ["name", "namespace", "labels", "annotations"]
  static let issuerRefFields: Set<String> = ["name", "kind", "group"]
  static let privateKeyFields: Set<String> = ["algorithm", "encoding", "rotationPolicy", "size"]
  static let secretTemplateFields: Set<String> = ["annotations", "labels"]
  /// cert-manager's KeyUsage names.
  static let usages: Set<String> = [
    "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
    "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
    "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
    "microsoft sgc", "netscape sgc",
  ]

  static let goDuration = #"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"#
  static let dnsName = #"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#
  static let objectName = #"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"#

  static func matches(_ text: String, _ pattern: String) -> Bool {
    text.range(of: pattern, options: .regularExpression) != nil
  }

  static func isIPAddress(_ text: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
  }

  /// What is wrong with `object` as a cert-manager.io/v1 Certificate; empty when nothing is.
  static func certificateProblems(_ object: YAMLValue) -> [String] {
    var problems: [String] = []
    func unknown(_ value: YAMLValue, _ allowed: Set<String>, at path: String) {
      if value.exists && value.keys.isEmpty && !(value.raw is [AnyHashable: Any]) && !(value.raw is [String: Any]) {
        problems.append("\(path) is not an object")
      }
      for key in value.keys where !allowed.contains(key) {
        problems.append("\(path).\(key) is not a field of a Certificate")
      }
    }
    func stringMap(_ value: YAMLValue, at path: String) {
      for key in value.keys where value[key].string == nil { problems.append("\(path).\(key) is not a string") }
    }

    if object["apiVersion"].string != "cert-manager.io/v1" {
      problems.append("apiVersion is \(object["apiVersion"]), not cert-manager.io/v1")
    }
    if object["kind"].string != "Certificate" { problems.append("kind is \(object["kind"]), not Certificate") }
    unknown(YAMLValue(object.raw), ["apiVersion", "kind", "metadata", "spec"], at: "")

    let metadata = object["metadata"]
    unknown(metadata, metadataFields, at: "metadata")
    let name = metadata["name"].string ?? ""
    if !matches(name, objectName) || name.count > 253 {
      problems.append("metadata.name '\(name)' is not an object name")
    }
    stringMap(metadata["labels"], at: "metadata.labels")
    stringMap(metadata["annotations"], at: "metadata.annotations")

    let spec = object["spec"]
    unknown(spec, certificateSpecFields, at: "spec")
    if !matches(spec["secretName"].string ?? "", objectName) {
      problems.append("spec.secretName is missing or not an object name")
    }

    let issuer = spec["issuerRef"]
    unknown(issuer, issuerRefFields, at: "spec.issuerRef")
    if (issuer["name"].string ?? "").isEmpty { problems.append("spec.issuerRef.name is required") }
    for field in ["kind", "group"] where issuer[field].exists && issuer[field].string == nil {
      problems.append("spec.issuerRef.\(field) is not a string")
    }

    for field in ["duration", "renewBefore"] where spec[field].exists {
      if !matches(spec[field].string ?? "", goDuration) {
        problems.append("spec.\(field) \(spec[field]) is not a duration")
      }
    }

    let key = spec["privateKey"]
    unknown(key, privateKeyFields, at: "spec.privateKey")
    if key["algorithm"].exists && !["RSA", "ECDSA", "Ed25519"].contains(key["algorithm"].string ?? "") {
      problems.append("spec.privateKey.algorithm \(key["algorithm"]) is not RSA, ECDSA or Ed25519")
    }
    if key["size"].exists && key["size"].int == nil { problems.append("spec.privateKey.size is not an integer") }
    if key["rotationPolicy"].exists && !["Never", "Always"].contains(key["rotationPolicy"].string ?? "") {
      problems.append("spec.privateKey.rotationPolicy \(key["rotationPolicy"]) is not Never or Always")
    }
    if key["encoding"].exists && !["PKCS1", "PKCS8"].contains(key["encoding"].string ?? "") {
      problems.append("spec.privateKey.encoding \(key["encoding"]) is not PKCS1 or PKCS8")
    }

    let template = spec["secretTemplate"]
    unknown(template, secretTemplateFields, at: "spec.secretTemplate")
    stringMap(template["labels"], at: "spec.secretTemplate.labels")
    stringMap(template["annotations"], at: "spec.secretTemplate.annotations")

    for usage in spec["usages"].array where !usages.contains(usage.string ?? "") {
      problems.append("spec.usages: \(usage) is not a cert-manager key usage")
    }
    for dns in spec["dnsNames"].array where !matches(dns.string ?? "", dnsName) {
      problems.append("spec.dnsNames: \(dns) is not a DNS name")
    }
    for ip in spec["ipAddresses"].array where !isIPAddress(ip.string ?? "") {
      problems.append("spec.ipAddresses: \(ip) is not an IP address")
    }
    if spec["dnsNames"].array.isEmpty && spec["ipAddresses"].array.isEmpty && spec["commonName"].string == nil {
      problems.append("spec names nothing to certify (no dnsNames, ipAddresses or commonName)")
    }
    return problems
  }

  /// Problems of any custom resource the chart renders (each kind the chart knows is checked).
  static func problems(_ object: YAMLValue) -> [String] {
    switch object["kind"].string {
    case "Certificate": return certificateProblems(object)
    default: return ["no shape check for the custom resource \(object["apiVersion"]) \(object["kind"])"]
    }
  }
}
