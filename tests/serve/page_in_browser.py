#!/usr/bin/env python3
"""Opens a page in headless Chromium and waits until an element's text is non-empty, then
prints that text and saves a screenshot. Drives Chromium over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages separated by NUL on fds 3 and 4), so it needs nothing
but Python and Chromium. Used by tests/serve/test_serve_browser.cpp.

  page_in_browser.py CHROMIUM URL ELEMENT_ID SCREENSHOT.png [TIMEOUT_S]
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    chromium, url, element, png = sys.argv[1:5]
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 60
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def fds():  # Chromium reads commands on fd 3 and writes replies on fd 4
        # dup2 onto the same number keeps close-on-exec (pipes are created with it): clear it.
        os.dup2(to_chrome_r, 3)
        os.dup2(from_chrome_w, 4)
        os.set_inheritable(3, True)
        os.set_inheritable(4, True)

    profile = tempfile.mkdtemp(prefix="charrnn-chromium-")
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-pipe", "--user-data-dir=" + profile, "--window-size=1280,900",
         "about:blank"],
        preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=open(os.environ.get("CHROMIUM_LOG", os.devnull), "w"))
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    buf = b""
    next_id = [0]

    def call(method, params=None, session=None):
        next_id[0] += 1
        msg = {"id": next_id[0], "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(to_chrome_w, json.dumps(msg).encode() + b"\0")
        nonlocal buf
        while True:
            while b"\0" not in buf:
                chunk = os.read(from_chrome_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                buf += chunk
            raw, buf = buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == next_id[0]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    try:
        target = call("Target.createTarget", {"url": url})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        expr = f"(document.getElementById({json.dumps(element)}) || {{}}).textContent || ''"
        deadline = time.time() + timeout
        text = ""
        while time.time() < deadline:
            text = call("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                        session)["result"].get("value", "")
            if text:
                break
            time.sleep(0.1)
        if not text:
            status = call("Runtime.evaluate", {"expression": "document.body.innerText",
                                               "returnByValue": True}, session)["result"]
            sys.exit(f"page_in_browser: #{element} still empty after {timeout} s; page: "
                     f"{status.get('value', '')[:500]!r}")
        time.sleep(0.3)  # let the last frame paint
        shot = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot))
        sys.stdout.write(text)
        try:
            call("Browser.close")
        except RuntimeError:
            pass
    finally:
        proc.kill()
        proc.wait()
        subprocess.run(["rm", "-rf", profile])


if __name__ == "__main__":
    main()
