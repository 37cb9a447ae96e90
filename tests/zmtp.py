# Raw ZMTP 3.0 (NULL mechanism) for the hostile-input tests: a peer that
# sends what no libzmq peer would (frames with MORE and never a last one),
# and a rogue agent that answers every request with fields of its choosing.
#
#   python3 zmtp.py flood PORT FRAME_BYTES FRAMES
#       connects as a DEALER, sends FRAMES frames of FRAME_BYTES each, all
#       with MORE; prints "dropped after N bytes" when the agent closes the
#       connection, "not dropped" when every frame went out and the
#       connection stays open 3 s more.
#   python3 zmtp.py rogue PORT FIELDS_FILE
#       serves as an agent on 127.0.0.1:PORT until killed: every request is
#       answered OK with its id and the fields of FIELDS_FILE (lines
#       key=value; \e, \r, \xNN in values are unescaped).
import socket
import struct
import sys
import threading
import time


def greeting(as_server):
    return (b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL" + b"\x00" * 16
            + (b"\x01" if as_server else b"\x00") + b"\x00" * 31)


def frame(body, more=False, command=False):
    flags = (1 if more else 0) | (4 if command else 0)
    if len(body) > 255:
        return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def ready(socket_type):
    prop = b"\x0bSocket-Type" + struct.pack(">I", len(socket_type)) + socket_type
    return frame(b"\x05READY" + prop, command=True)


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def recv_frame(s):
    flags = recv_exact(s, 1)[0]
    size = struct.unpack(">Q", recv_exact(s, 8))[0] if flags & 2 else recv_exact(s, 1)[0]
    return flags, recv_exact(s, size)


def handshake(s, socket_type, as_server=False):
    s.sendall(greeting(as_server))
    recv_exact(s, 64)
    s.sendall(ready(socket_type))
    flags, body = recv_frame(s)
    assert flags & 4 and body.startswith(b"\x05READY"), body


def flood(port, size, count):
    s = socket.create_connection(("127.0.0.1", port))
    handshake(s, b"DEALER")
    header = [b"WRP/1", b"START", b"flood1"]
    sent = 0
    payload = b"x" * size
    try:
        for f in header:
            s.sendall(frame(f, more=True))
        for _ in range(count):
            s.sendall(frame(payload, more=True))
            sent += size
        s.settimeout(3)
        if s.recv(1) == b"":
            raise ConnectionResetError
    except (ConnectionResetError, BrokenPipeError, EOFError):
        print("dropped after %d bytes" % sent)
        return
    except socket.timeout:
        pass
    print("not dropped")


def unescape(value):
    return value.encode().decode("unicode_escape").encode("latin-1")


def rogue(port, fields_file):
    fields = []
    with open(fields_file) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            fields.append((key.encode(), unescape(value)))
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)

    def serve(s):
        try:
            handshake(s, b"ROUTER", as_server=True)
            while True:
                frames = []
                while True:
                    flags, body = recv_frame(s)
                    if flags & 4:
                        if body.startswith(b"\x04PING"):
                            ctx = body[7:]
                            s.sendall(frame(b"\x04PONG" + ctx, command=True))
                        continue
                    frames.append(body)
                    if not flags & 1:
                        break
                reply = [b"WRP/1", b"OK", frames[2]]
                for k, v in fields:
                    reply += [k, v]
                s.sendall(b"".join(frame(f, more=i + 1 < len(reply))
                                   for i, f in enumerate(reply)))
        except (EOFError, OSError, IndexError):
            s.close()

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    if sys.argv[1] == "flood":
        flood(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "rogue":
        rogue(int(sys.argv[2]), sys.argv[3])
