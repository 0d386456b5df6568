import EtcdAPI
import Foundation
import GRPCCore

/// A key-range permission of a role.
public struct Permission: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    case read, write, readWrite
  }
  public var kind: Kind
  public var range: KeyRange

  public init(_ kind: Kind, _ range: KeyRange) {
    self.kind = kind
    self.range = range
  }
}

extension EtcdClient {
  /// Turns authentication on. etcd requires the `root` user, with the `root` role, to exist.
  public func authEnable() async throws(EtcdError) {
    _ = try await perform("auth enable", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).authEnable(
        Etcdserverpb_AuthEnableRequest(), metadata: target.metadata, options: target.options)
    }
  }

  /// Turns authentication off (root only).
  public func authDisable() async throws(EtcdError) {
    _ = try await perform("auth disable", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).authDisable(
        Etcdserverpb_AuthDisableRequest(), metadata: target.metadata, options: target.options)
    }
  }

  public func userAdd(_ name: String, password: String) async throws(EtcdError) {
    var request = Etcdserverpb_AuthUserAddRequest()
    request.name = name
    request.password = password
    _ = try await perform("user add", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).userAdd(
        request, metadata: target.metadata, options: target.options)
    }
  }

  public func userDelete(_ name: String) async throws(EtcdError) {
    var request = Etcdserverpb_AuthUserDeleteRequest()
    request.name = name
    _ = try await perform("user delete", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).userDelete(
        request, metadata: target.metadata, options: target.options)
    }
  }

  /// The roles granted to a user.
  public func userGet(_ name: String) async throws(EtcdError) -> [String] {
    var request = Etcdserverpb_AuthUserGetRequest()
    request.name = name
    return try await perform("user get", retry: .idempotent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).userGet(
        request, metadata: target.metadata, options: target.options)
    }.roles
  }

  public func userList() async throws(EtcdError) -> [String] {
    try await perform("user list", retry: .idempotent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).userList(
        Etcdserverpb_AuthUserListRequest(), metadata: target.metadata, options: target.options)
    }.users
  }

  public func userChangePassword(_ name: String, password: String) async throws(EtcdError) {
    var request = Etcdserverpb_AuthUserChangePasswordRequest()
    request.name = name
    request.password = password
    _ = try await perform("user change password", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).userChangePassword(
        request, metadata: target.metadata, options: target.options)
    }
  }

  public func userGrantRole(user: String, role: String) async throws(EtcdError) {
    var request = Etcdserverpb_AuthUserGrantRoleRequest()
    request.user = user
    request.role = role
    _ = try await perform("user grant role", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).userGrantRole(
        request, metadata: target.metadata, options: target.options)
    }
  }

  public func userRevokeRole(user: String, role: String) async throws(EtcdError) {
    var request = Etcdserverpb_AuthUserRevokeRoleRequest()
    request.name = user
    request.role = role
    _ = try await perform("user revoke role", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).userRevokeRole(
        request, metadata: target.metadata, options: target.options)
    }
  }

  public func roleAdd(_ name: String) async throws(EtcdError) {
    var request = Etcdserverpb_AuthRoleAddRequest()
    request.name = name
    _ = try await perform("role add", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).roleAdd(
        request, metadata: target.metadata, options: target.options)
    }
  }

  public func roleDelete(_ name: String) async throws(EtcdError) {
    var request = Etcdserverpb_AuthRoleDeleteRequest()
    request.role = name
    _ = try await perform("role delete", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).roleDelete(
        request, metadata: target.metadata, options: target.options)
    }
  }

  public func roleList() async throws(EtcdError) -> [String] {
    try await perform("role list", retry: .idempotent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).roleList(
        Etcdserverpb_AuthRoleListRequest(), metadata: target.metadata, options: target.options)
    }.roles
  }

  /// The permissions of a role.
  public func roleGet(_ name: String) async throws(EtcdError) -> [Permission] {
    var request = Etcdserverpb_AuthRoleGetRequest()
    request.role = name
    let response = try await perform("role get", retry: .idempotent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).roleGet(
        request, metadata: target.metadata, options: target.options)
    }
    return response.perm.map { permission in
      let kind: Permission.Kind =
        switch permission.permType {
        case .read: .read
        case .write: .write
        default: .readWrite
        }
      return Permission(kind, KeyRange(key: permission.key, rangeEnd: permission.rangeEnd))
    }
  }

  public func roleGrantPermission(_ role: String, _ permission: Permission) async throws(EtcdError) {
    var request = Etcdserverpb_AuthRoleGrantPermissionRequest()
    request.name = role
    var perm = Authpb_Permission()
    perm.permType =
      switch permission.kind {
      case .read: .read
      case .write: .write
      case .readWrite: .readwrite
      }
    perm.key = permission.range.key
    perm.rangeEnd = permission.range.rangeEnd
    request.perm = perm
    _ = try await perform("role grant permission", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).roleGrantPermission(
        request, metadata: target.metadata, options: target.options)
    }
  }

  public func roleRevokePermission(_ role: String, _ range: KeyRange) async throws(EtcdError) {
    var request = Etcdserverpb_AuthRoleRevokePermissionRequest()
    request.role = role
    request.key = range.key
    request.rangeEnd = range.rangeEnd
    _ = try await perform("role revoke permission", retry: .ifNotSent) { target in
      try await Etcdserverpb_Auth.Client(wrapping: target.connection).roleRevokePermission(
        request, metadata: target.metadata, options: target.options)
    }
  }

  /// Creates the `root` user with `password` and the `root` role, if missing, and enables auth.
  /// Safe to call again: parts that already exist are left as they are.
  public func enableAuth(rootPassword: String) async throws(EtcdError) {
    do { try await roleAdd("root") } catch  where error.code == .alreadyExists {}
    do { try await userAdd("root", password: rootPassword) } catch  where error.code == .alreadyExists {}
    try await userGrantRole(user: "root", role: "root")
    try await authEnable()
  }
}
