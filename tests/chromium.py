"""Headless Chromium driven over the DevTools protocol on a pipe (no port, no extra dependency).

`--remote-debugging-pipe` makes Chromium read commands from fd 3 and write replies and
events to fd 4, each a JSON message ended by a NUL byte. The browser test uses it to load a
report, record console errors, exceptions and network requests, read the DOM and take a
screenshot; `python -m tests.chromium REPORT.html OUT.png` takes the screenshot for the docs.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Self

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio",
    "--hide-scrollbars", "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless browser with one page; events are kept in `events` as they arrive."""

    def __init__(self, binary: str, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._buffer = b""
        self._profile = tempfile.TemporaryDirectory(prefix="pga-chromium-")
        cmd_r, self._cmd_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        # Move the child's ends above 10 so dup2 onto 3 and 4 cannot clobber one another.
        hi_r, hi_w = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10), fcntl.fcntl(resp_w, fcntl.F_DUPFD, 10)

        def wire() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self._log = open(Path(self._profile.name) / "chromium.log", "wb")  # noqa: SIM115 (closed in close())
        self._proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, pass_fds=(3, 4),
            preexec_fn=wire,  # noqa: PLW1509 (only dup2 between fork and exec; the tests start no threads)
        )
        for fd in (cmd_r, resp_w, hi_r, hi_w):
            os.close(fd)
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its reply (events that arrive meanwhile are recorded)."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            for reply in self._read(deadline):
                if reply.get("id") == self._next_id:
                    if "error" in reply:
                        raise BrowserError(f"{method}: {reply['error']}")
                    return dict(reply.get("result", {}))
                if "method" in reply:
                    self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_s
        seen = len(self.events)
        while True:
            for e in self.events[seen:]:
                if e["method"] == method:
                    return e
            seen = len(self.events)
            self.events.extend(m for m in self._read(deadline) if "method" in m)

    def _read(self, deadline: float) -> list[dict[str, Any]]:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self._proc.poll() is not None:
            raise BrowserError(f"no reply from Chromium (exit code {self._proc.poll()})")
        ready, _, _ = select.select([self._resp_r], [], [], min(remaining, 1.0))
        if not ready:
            return []
        chunk = os.read(self._resp_r, 1 << 20)
        if not chunk:
            raise BrowserError("Chromium closed the DevTools pipe")
        self._buffer += chunk
        *messages, self._buffer = self._buffer.split(b"\0")
        return [json.loads(m) for m in messages if m]

    def load(self, url: str, width: int = 1366, height: int = 900) -> None:
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def screenshot(self, path: Path, full_page: bool = False, max_height: int = 16000) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            h = min(int(self.evaluate("document.documentElement.scrollHeight")), max_height)
            w = int(self.evaluate("document.documentElement.scrollWidth"))
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": w, "height": h, "scale": 1})
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        path.write_bytes(base64.b64decode(data))

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (CSP violations land there)."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e["method"] == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("exception", {}).get("description", p)))
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(str(p["entry"].get("text")))
        return out

    def requests(self) -> list[str]:
        """URLs of every request the page made, the document itself included."""
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except BrowserError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()
        os.close(self._cmd_w)
        os.close(self._resp_r)
        self._profile.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    report, png = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    height = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    selector = sys.argv[4] if len(sys.argv) > 4 else None
    binary = find_chromium()
    if binary is None:
        sys.exit("chromium not found")
    with Chromium(binary) as browser:
        browser.load(report.as_uri(), width=1366, height=height or 900)
        if selector:
            browser.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView({{behavior: \"instant\"}})")
        browser.screenshot(png, full_page=not height)
        print(f"{png}: errors={browser.console_errors()} requests={browser.requests()}")
