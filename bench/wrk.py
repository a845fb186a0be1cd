"""wrk, the load generator of `make bench`: requests per endpoint as a Lua script, one closed-loop
run, and its result parsed (requests, percentiles, socket errors, non-2xx answers).

A Lua script rotates a few realistic requests per endpoint and its `done` hook prints one
`WRK-RESULT` line, which `parse_wrk` reads; any non-2xx answer or socket error is counted.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

WRK_TIMEOUT_S = 10


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- wrk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    requests: tuple[Req, ...]
    # Every request different: UNIQUE_MARK in a body becomes a counter, so that no answer kept
    # by the server (its caches) is asked for twice.
    unique: bool = False


UNIQUE_MARK = "#N#"


@dataclass
class Run:
    endpoint: Endpoint
    connections: int
    seconds: float
    requests: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    sample: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Non-2xx answers and socket errors; a run in which nothing completed counts as one."""
        return self.non2xx + self.socket_errors + (1 if self.requests == 0 else 0)


def lua_str(text: str) -> str:
    """A Lua string literal for any text (bytes outside printable ASCII as decimal escapes)."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if 32 <= byte < 127 and ch not in '"\\':
            out.append(ch)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


LUA_COMMON = r"""
bad = 0
sample = ""
local threads = {}
local reqs = {}
local heads = {}
local i = 0
local n = 0
local run_id = tostring(os.time())  -- a later run numbers its texts apart from this one's

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for _, r in ipairs(REQUESTS) do
    local headers = {}
    for k, v in pairs(r[3]) do headers[k] = v end
    table.insert(heads, headers)
    table.insert(reqs, wrk.format(r[1], r[2], headers, r[4]))
  end
end

function request()
  i = i % #reqs + 1
  if UNIQUE and REQUESTS[i][4] then
    n = n + 1
    local r = REQUESTS[i]
    local body = string.gsub(r[4], "#N#", run_id .. "-" .. tostring(n))
    return wrk.format(r[1], r[2], heads[i], body)
  end
  return reqs[i]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if sample == "" then
      sample = tostring(status) .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local nbad = 0
  local first = ""
  for _, t in ipairs(threads) do
    nbad = nbad + t:get("bad")
    local s = t:get("sample")
    if first == "" and s then first = s end
  end
  local e = summary.errors
  io.write(string.format(
    "WRK-RESULT requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d " ..
    "non2xx=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, nbad,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write("WRK-SAMPLE " .. string.gsub(first, "[\r\n]", " ") .. "\n")
end
"""


def lua_script(endpoint: Endpoint) -> str:
    rows = []
    for r in endpoint.requests:
        headers = ", ".join(f"[{lua_str(k)}] = {lua_str(v)}" for k, v in r.headers)
        body = lua_str(r.body) if r.body is not None else "nil"
        rows.append(f"  {{{lua_str(r.method)}, {lua_str(r.path)}, {{{headers}}}, {body}}},")
    unique = "true" if endpoint.unique else "false"
    return f"UNIQUE = {unique}\nREQUESTS = {{\n" + "\n".join(rows) + "\n}\n" + LUA_COMMON


_RESULT = re.compile(r"^WRK-RESULT (.*)$", re.M)
_SAMPLE = re.compile(r"^WRK-SAMPLE ?(.*)$", re.M)


def parse_wrk(output: str, endpoint: Endpoint, connections: int) -> Run:
    found = _RESULT.search(output)
    if not found:
        raise RuntimeError(f"no result from wrk for {endpoint.label}:\n{output[-2000:]}")
    values = {k: float(v) for k, v in (item.split("=") for item in found.group(1).split())}
    sample = _SAMPLE.search(output)
    return Run(
        endpoint=endpoint,
        connections=connections,
        seconds=values["duration_us"] / 1e6,
        requests=int(values["requests"]),
        p50_ms=values["p50_us"] / 1000,
        p90_ms=values["p90_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        non2xx=int(values["non2xx"]),
        socket_errors=int(values["connect"] + values["read"] + values["write"] + values["timeout"]),
        sample=sample.group(1).strip() if sample else "",
    )


class Wrk:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.runs: list[tuple[str, Run]] = []

    def run(
        self, base: str, endpoint: Endpoint, connections: int, seconds: float, context: str
    ) -> Run:
        script = self.workdir / f"{endpoint.key}.lua"
        script.write_text(lua_script(endpoint), encoding="utf-8")
        cmd = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={WRK_TIMEOUT_S}s",
            "-s",
            str(script),
            base,
        ]
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
        run = parse_wrk(done.stdout + done.stderr, endpoint, connections)
        self.runs.append((context, run))
        flag = "" if run.errors == 0 else f"  ERRORS {run.errors}: {run.sample[:120]!r}"
        log(
            f"{context}: {endpoint.label} c={connections}: {run.rps:.0f} req/s, "
            f"p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms{flag}"
        )
        return run
