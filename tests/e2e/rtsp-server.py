# An RTSP server for the end-to-end tests: GStreamer's gst-rtsp-server (the library
# camera firmwares and media servers build on) serving a live test tone at /cam, behind
# Basic or Digest authentication.
#
#   python3 rtsp-server.py ADDRESS PORT USER PASSWORD basic|digest
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

address, port, user, password, method = sys.argv[1:6]
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address(address)
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( audiotestsrc is-live=1 ! audio/x-raw,rate=8000,channels=1 ! mulawenc"
    " ! rtppcmupay name=pay0 pt=0 )"
)
factory.set_shared(True)
factory.add_role_from_structure(
    Gst.Structure.new_from_string(
        "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
    )
)
auth = GstRtspServer.RTSPAuth()
token = GstRtspServer.RTSPToken()
token.set_string("media.factory.role", "user")
if method == "digest":
    auth.add_digest(user, password, token)
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
else:
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
server.set_auth(auth)
server.get_mount_points().add_factory("/cam", factory)
server.attach(None)
print("listening", flush=True)
GLib.MainLoop().run()
