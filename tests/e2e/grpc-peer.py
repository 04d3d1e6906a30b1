#!/usr/bin/python3
"""The gRPC server and client of tests/e2e/real-http2.sh (grpcio, plaintext h2c).

    grpc-peer.py server ADDRESS TOKEN     serves /demo.Vault/Get, refusing calls whose
                                          `authorization` metadata is not "Bearer TOKEN"
    grpc-peer.py client ADDRESS TOKEN     calls it once with that token; prints the status
"""
import sys
from concurrent import futures

import grpc

METHOD = "/demo.Vault/Get"


def serve(address, token):
    def get(request, context):
        metadata = dict(context.invocation_metadata())
        if metadata.get("authorization") != "Bearer " + token:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "bad token")
        return b"secret value"

    handler = grpc.method_handlers_generic_handler(
        "demo.Vault", {"Get": grpc.unary_unary_rpc_method_handler(get)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(address)
    server.start()
    print("listening", flush=True)
    server.wait_for_termination()


def call(address, token):
    with grpc.insecure_channel(address) as channel:
        get = channel.unary_unary(METHOD)
        try:
            get(b"\x08\x01", metadata=(("authorization", "Bearer " + token),), timeout=60)
            print("OK")
        except grpc.RpcError as e:
            print(e.code().name)


if __name__ == "__main__":
    mode, address, token = sys.argv[1:4]
    serve(address, token) if mode == "server" else call(address, token)
