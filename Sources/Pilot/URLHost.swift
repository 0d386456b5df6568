/// A host as it is written inside a URL: an IPv6 literal in brackets (`[fd00::5]`, RFC 3986),
/// a name or an IPv4 address as it is. Pod IPs are IPv6 on IPv6-only and dual-stack clusters;
/// `https://fd00::5:2379` is no URL etcd (or anyone) can parse.
public enum URLHost {
  public static func bracketed(_ host: String) -> String {
    host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
  }
}
