"""A TCP forwarder run as its own process, so that a test can freeze it with SIGSTOP.

    python tests/faults/forwarder.py <listen_port> <target_host> <target_port>

A stopped process keeps its sockets open and the kernel keeps acknowledging what is sent to it:
to the client this looks like a database that stopped answering without closing anything (a
frozen proxy, a partition, a database stuck on I/O), which keepalives do not detect.
"""

from __future__ import annotations

import asyncio
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def main(listen_port: int, target_host: str, target_port: int) -> None:
    async def forward(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, upstream_w), pipe(upstream_r, client_w))

    server = await asyncio.start_server(forward, "127.0.0.1", listen_port, reuse_address=True)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
