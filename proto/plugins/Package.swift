// swift-tools-version:6.1
// Builds only the protoc plugins that proto/generate.sh needs; never part of the product.
import PackageDescription

let package = Package(
  name: "etcd-pilot-protoc-plugins",
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
  ],
  targets: []
)
