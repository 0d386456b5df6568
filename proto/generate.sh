#!/usr/bin/env bash
# Regenerates Sources/EtcdAPI from proto/etcd/**.proto.
#
# Needs protoc (Debian: protobuf-compiler). The two plugins, protoc-gen-swift and
# protoc-gen-grpc-swift-2, are built from the same package versions the product depends on
# (proto/plugins/Package.swift) into .build-protoc/, which git ignores.
# A normal build and CI use the committed output and need none of this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

command -v protoc >/dev/null || { echo "generate.sh: protoc not found; install it with: apt-get install -y protobuf-compiler" >&2; exit 1; }

scratch="$root/.build-protoc"
for plugin in protoc-gen-swift protoc-gen-grpc-swift-2; do
  swift build -c release --package-path proto/plugins --scratch-path "$scratch" --product "$plugin"
done
bin=$(swift build -c release --package-path proto/plugins --scratch-path "$scratch" --show-bin-path)

out="$root/Sources/EtcdAPI"
rm -f "$out"/*.pb.swift "$out"/*.grpc.swift
protos=(etcd/mvccpb/kv.proto etcd/authpb/auth.proto etcd/etcdserverpb/rpc.proto)

protoc -I proto \
  --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
  --swift_out="$out" --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath \
  "${protos[@]}"
protoc -I proto \
  --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
  --grpc-swift-2_out="$out" --grpc-swift-2_opt=Visibility=Public,FileNaming=DropPath,Server=false \
  etcd/etcdserverpb/rpc.proto
echo "generate.sh: wrote $(ls "$out" | wc -l) files to Sources/EtcdAPI"
