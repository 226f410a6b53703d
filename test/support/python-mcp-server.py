"""An MCP server made with the official Python SDK (PyPI `mcp` 2.x), for the probes' tests.

One tool, `echo` (argument `text`, returns it), served over streamable HTTP at /mcp on 127.0.0.1. The SDK serves
both protocol eras there: 2026-07-28 (`server/discover`, stateless requests) and the 2025 `initialize` handshake.

usage: python-mcp-server.py [PORT] [--stateless]
  PORT           the port to listen on; default $PYTHON_MCP_PORT
  --stateless    2025 requests without sessions (stateless_http); default: sessions (mcp-session-id)

Run with the venv of scripts/ensure-python-mcp.sh (test/support/python-mcp.ts starts it).
"""

import importlib.metadata
import os
import sys

from mcp.server.mcpserver import MCPServer  # FastMCP's name in mcp 2.x

NAME = "mcpwatch-python-test"


def main(argv: list[str]) -> None:
    stateless = "--stateless" in argv
    rest = [a for a in argv if a != "--stateless"]
    if len(rest) > 1 or any(a.startswith("-") for a in rest):
        sys.exit(f"usage: {os.path.basename(__file__)} [PORT] [--stateless]")
    port = rest[0] if rest else os.environ.get("PYTHON_MCP_PORT", "")
    if not port.isdigit():
        sys.exit(f"{os.path.basename(__file__)}: no port (give it as the argument or in PYTHON_MCP_PORT)")

    server = MCPServer(NAME, version=importlib.metadata.version("mcp"))

    @server.tool()
    def echo(text: str) -> str:
        """Returns the text it is given."""
        return text

    server.run("streamable-http", host="127.0.0.1", port=int(port), stateless_http=stateless)


if __name__ == "__main__":
    main(sys.argv[1:])
