#!/bin/sh
# Generates the worker's Python modules from proto/ into OUT_DIR with Debian's tools:
#   protoc                 (protobuf-compiler)  -> flowgate/v1/*_pb2.py, the messages, and
#                                                 buf/validate/validate_pb2.py, their limits
#   grpc_python_plugin     (protobuf-compiler-grpc) -> flowgate/v1/*_pb2_grpc.py, the stubs
# The well-known types (google/protobuf/*.proto) come from libprotobuf-dev's /usr/include,
# which protoc searches by itself. Nothing is committed: run this, then put OUT_DIR on
# PYTHONPATH. Usage: generate.sh OUT_DIR
set -eu

out=${1:?usage: generate.sh OUT_DIR}
proto=$(cd "$(dirname "$0")/../../proto" && pwd)

for tool in protoc grpc_python_plugin; do
  command -v "$tool" >/dev/null || {
    echo "generate.sh: $tool not found (apt-get install protobuf-compiler protobuf-compiler-grpc libprotobuf-dev)" >&2
    exit 1
  }
done

mkdir -p "$out"
# Only flowgate's own protos and the buf.validate annotations they import: the worker needs
# no google/rpc or grpc/health modules, and generating google/* here would shadow Debian's
# google.protobuf package.
protoc -I"$proto" \
  --python_out="$out" \
  --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  "$proto"/flowgate/v1/*.proto "$proto"/buf/validate/validate.proto
