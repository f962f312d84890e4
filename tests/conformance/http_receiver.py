"""A scripted HTTP/1.1 collector for the judges and cross-checks: keep-alive connections,
Content-Length or chunked bodies (Node.js posts chunked), every request kept as
(path, content type, body) and answered by the given function."""

import http.server
import threading


class Receiver(http.server.ThreadingHTTPServer):
    """answer(content_type) -> (status, content type or None, body): what each request gets."""

    daemon_threads = True

    def __init__(self, answer):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.bodies = []  # (path, content type, body)
        self.lock = threading.Lock()

    def start(self):
        """Serves on a thread of its own; returns http://127.0.0.1:PORT."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return "http://127.0.0.1:%d" % self.server_address[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        content_type = self.headers.get("Content-Type", "")
        with self.server.lock:
            self.server.bodies.append((self.path, content_type, body))
        status, answer_type, answer = self.server.answer(content_type)
        self.send_response(status)
        if answer_type:
            self.send_header("Content-Type", answer_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass
