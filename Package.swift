// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let grpcCore = Target.Dependency.product(name: "GRPCCore", package: "grpc-swift-2")
let grpcProtobuf = Target.Dependency.product(name: "GRPCProtobuf", package: "grpc-swift-protobuf")
let grpcHTTP2 = Target.Dependency.product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")
let swiftProtobuf = Target.Dependency.product(name: "SwiftProtobuf", package: "swift-protobuf")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let system = Target.Dependency.product(name: "SystemPackage", package: "swift-system")
let subprocess = Target.Dependency.product(name: "Subprocess", package: "swift-subprocess")

let package = Package(
  name: "etcd-pilot",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "etcd-pilot", targets: ["etcd-pilot"]),
    .library(name: "EtcdClient", targets: ["EtcdClient"]),
  ],
  dependencies: [
    .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
    .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    .package(url: "https://github.com/swiftlang/swift-subprocess.git", exact: "1.0.2"),
    .package(url: "https://github.com/apple/swift-system.git", from: "1.4.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
    .package(url: "https://github.com/x-sheep/swift-property-based.git", exact: "2.0.1"),
    .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
    .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
    .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
    .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    .package(url: "https://github.com/apple/swift-certificates.git", exact: "1.21.1"),
    .package(url: "https://github.com/apple/swift-asn1.git", from: "1.1.0"),
  ],
  targets: [
    // Generated from proto/ by proto/generate.sh; never edited by hand.
    .target(
      name: "EtcdAPI",
      dependencies: [grpcCore, grpcProtobuf, swiftProtobuf],
      swiftSettings: [.swiftLanguageMode(.v6)]
    ),
    .target(
      name: "EtcdClient",
      dependencies: [
        "EtcdAPI", grpcCore, grpcHTTP2, swiftProtobuf, logging, crypto,
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP2", package: "swift-nio-http2"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "etcd-pilot",
      dependencies: [
        "EtcdClient", "Membership", "Pilot", "Kubernetes", "LocalCluster", "LocalPlatform", "ChildProcess", "Verify",
        "PKI", "Backup", argumentParser,
        logging,
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
      ],
      swiftSettings: swiftSettings
    ),

    // The decision engine: pure values and functions, no I/O.
    .target(
      name: "Membership",
      swiftSettings: swiftSettings
    ),
    // A small HTTP/1.1 server: the pilot's endpoints, the local StatefulSet's control API.
    .target(
      name: "HTTPEndpoints",
      dependencies: [
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: swiftSettings
    ),
    // The git commit of the build (BuildInfo.commit: `etcd-pilot --version`, the start log),
    // written by the plugin's build command when git's HEAD, branch, index or a source changes.
    .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
    .target(name: "BuildCommit", swiftSettings: swiftSettings, plugins: ["BuildInfoPlugin"]),
    // The agent: runs etcd as its child, feeds the engine, carries out its plans.
    .target(
      name: "Pilot",
      dependencies: [
        "EtcdClient", "Membership", "ChildProcess", "HTTPEndpoints", "PKI", "BuildCommit", logging,
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ],
      swiftSettings: swiftSettings
    ),
    // Fault-injecting TCP proxy for the local cluster's peer ports (blackhole, delay, drop).
    .target(
      name: "PeerProxy",
      dependencies: [
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        logging,
      ],
      swiftSettings: swiftSettings
    ),

    // Checks recorded histories for linearizability (the verify suite's register check).
    .target(name: "Linearizability", swiftSettings: swiftSettings),

    // `etcd-pilot verify`: a recorded workload under seeded faults on the local StatefulSet, and its checks.
    .target(
      name: "Verify",
      dependencies: ["EtcdClient", "LocalCluster", "Linearizability", "Membership", "Pilot", logging],
      swiftSettings: swiftSettings
    ),

    // `etcd-pilot backup`: checked snapshots into a folder, their records, retention.
    .target(
      name: "Backup",
      dependencies: ["EtcdClient", logging],
      swiftSettings: swiftSettings
    ),

    // The local StatefulSet's side of the agent's platform: its state file, the replica source
    // and the cluster record as files (the Kubernetes module is the other side).
    .target(
      name: "LocalPlatform",
      dependencies: ["Pilot", "Membership"],
      swiftSettings: swiftSettings
    ),

    // The small in-cluster Kubernetes client the agent needs.
    .target(
      name: "Kubernetes",
      dependencies: [
        "Pilot", "Membership",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: swiftSettings
    ),

    // The local StatefulSet: pods are processes, volumes are folders.
    .target(
      name: "LocalCluster",
      dependencies: [
        "Pilot", "LocalPlatform", "Membership", "ChildProcess", "HTTPEndpoints", "EtcdClient", "PeerProxy", "PKI",
        logging,
        .product(name: "Yams", package: "Yams"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "PKI",
      dependencies: [
        crypto, .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
      ],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "ChildProcess",
      dependencies: [subprocess, system],
      swiftSettings: swiftSettings
    ),

    // Benchmarks (bench/): measured against baselines in the same run, never asserted in tests.
    .executableTarget(
      name: "etcd-pilot-bench",
      dependencies: ["EtcdClient", "ChildProcess", argumentParser, logging],
      swiftSettings: swiftSettings
    ),

    // The one place where tests start real etcd processes.
    .target(
      name: "EtcdTestFixtures",
      dependencies: ["EtcdClient", "ChildProcess", "PKI", "LocalCluster", logging],
      path: "Tests/EtcdTestFixtures",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "EtcdClientTests",
      dependencies: [
        "EtcdClient", "EtcdTestFixtures", "PKI",
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "PeerProxyTests",
      dependencies: [
        "PeerProxy",
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "LinearizabilityTests",
      dependencies: ["Linearizability", .product(name: "PropertyBased", package: "swift-property-based")],
      swiftSettings: swiftSettings
    ),
    .testTarget(name: "VerifyTests", dependencies: ["Verify"], swiftSettings: swiftSettings),
    .testTarget(name: "BackupTests", dependencies: ["Backup"], swiftSettings: swiftSettings),
    .testTarget(
      name: "MembershipTests",
      dependencies: ["Membership", .product(name: "PropertyBased", package: "swift-property-based")],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "LifecycleTests",
      dependencies: [
        "etcd-pilot", "EtcdClient", "EtcdTestFixtures", "LocalCluster", "Pilot", "PKI", "PeerProxy", "Verify",
        .product(name: "NIOCore", package: "swift-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    // The Helm chart: lint, template, Kubernetes schemas, policy scan.
    .testTarget(
      name: "ChartTests",
      dependencies: ["EtcdTestFixtures", .product(name: "Yams", package: "Yams")],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "ChartRunTests",
      dependencies: [
        "etcd-pilot", "EtcdClient", "EtcdTestFixtures", "LocalCluster", "PKI", "Pilot",
        .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: swiftSettings
    ),
    // The local StatefulSet's parts without etcd: its controller, its control server, its children.
    .testTarget(
      name: "LocalClusterTests",
      dependencies: ["LocalCluster", "HTTPEndpoints", "ChildProcess", "EtcdTestFixtures", logging],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "EtcdPilotCLITests",
      dependencies: [
        "etcd-pilot", "EtcdClient", "EtcdTestFixtures", "LocalCluster", "PKI",
        .product(name: "X509", package: "swift-certificates"),
      ],
      swiftSettings: swiftSettings
    ),
  ]
)
