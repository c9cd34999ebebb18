#!/usr/bin/python3
"""A tray host for the end-to-end test, speaking the protocol desktop shells
(KDE, GNOME's AppIndicator extension, waybar…) use with Kubeask's tray icon:
it owns `org.kde.StatusNotifierWatcher` on the session bus, so the app's
AppIndicator registers its item here instead of falling back to an XEmbed
icon, then reads the item's menu over `com.canonical.dbusmenu` and clicks
its entries the way a shell does when the user picks one.

Line protocol (stdin → stdout, one JSON object per line):
    "registered" is printed when an item registers: {"event":"registered",...}
    menu                → {"menu": [{"id","label","toggle","checked","children"}...]}
    click <label path>  → {"clicked": id}   e.g.  click Contexts/staging
    label               → {"label": the icon's label (the badge), "tooltip": its title}
    notifications       → {"notifications": [{"summary","body"}...]}: every
                          desktop notification shown so far (it also owns
                          org.freedesktop.Notifications, as a shell does)
    notifications clear → {"cleared": n}

Run with the system Python (python3-gi): /usr/bin/python3 tests/e2e/tray_host.py
"""

import json
import sys
import threading

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

WATCHER_XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
"""

NOTIFY_XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg name="app_name" type="s" direction="in"/><arg name="replaces_id" type="u" direction="in"/>
      <arg name="app_icon" type="s" direction="in"/><arg name="summary" type="s" direction="in"/>
      <arg name="body" type="s" direction="in"/><arg name="actions" type="as" direction="in"/>
      <arg name="hints" type="a{sv}" direction="in"/><arg name="expire_timeout" type="i" direction="in"/>
      <arg name="id" type="u" direction="out"/>
    </method>
    <method name="GetCapabilities"><arg name="caps" type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <method name="CloseNotification"><arg name="id" type="u" direction="in"/></method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>
"""

bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
notifications = []
items = []  # (bus name, object path)


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_call(conn, sender, path, iface, method, params, invocation):
    if method == "RegisterStatusNotifierItem":
        (service,) = params.unpack()
        # Ayatana passes its object path (the bus name is the sender); others
        # pass a bus name (the path is the spec's default).
        if service.startswith("/"):
            item = (sender, service)
        else:
            item = (service, "/StatusNotifierItem")
        items.append(item)
        invocation.return_value(None)
        conn.emit_signal(None, path, iface, "StatusNotifierItemRegistered", GLib.Variant("(s)", (item[0] + item[1],)))
        out({"event": "registered", "bus": item[0], "path": item[1]})
    else:
        invocation.return_value(None)


def on_get(conn, sender, path, iface, prop):
    if prop == "RegisteredStatusNotifierItems":
        return GLib.Variant("as", [b + p for b, p in items])
    if prop == "IsStatusNotifierHostRegistered":
        return GLib.Variant("b", True)
    if prop == "ProtocolVersion":
        return GLib.Variant("i", 0)
    return None


def on_notify(conn, sender, path, iface, method, params, invocation):
    if method == "Notify":
        args = params.unpack()
        notifications.append({"summary": args[3], "body": args[4]})
        invocation.return_value(GLib.Variant("(u)", (len(notifications),)))
    elif method == "GetCapabilities":
        invocation.return_value(GLib.Variant("(as)", (["body"],)))
    elif method == "GetServerInformation":
        invocation.return_value(GLib.Variant("(ssss)", ("e2e", "kubeask", "1", "1.2")))
    else:
        invocation.return_value(None)


notify_node = Gio.DBusNodeInfo.new_for_xml(NOTIFY_XML)
bus.register_object("/org/freedesktop/Notifications", notify_node.interfaces[0], on_notify, None, None)


def label():
    bus_name, path = items[-1]

    def prop(name):
        try:
            (v,) = call(bus_name, path, "org.freedesktop.DBus.Properties", "Get",
                        GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", name)), "(v)")
            return v
        except Exception:  # noqa: BLE001
            return None

    tip = prop("ToolTip")
    return {"label": prop("XAyatanaLabel") or "", "tooltip": tip[2] if isinstance(tip, tuple) else (prop("Title") or "")}


node = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML)
bus.register_object("/StatusNotifierWatcher", node.interfaces[0], on_call, on_get, None)


def call(bus_name, path, iface, method, args, reply):
    return bus.call_sync(bus_name, path, iface, method, args, GLib.VariantType(reply), Gio.DBusCallFlags.NONE, 5000, None).unpack()


def menu_path():
    bus_name, path = items[-1]
    (menu,) = call(bus_name, path, "org.freedesktop.DBus.Properties", "Get",
                   GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", "Menu")), "(v)")
    return bus_name, menu


def layout():
    bus_name, menu = menu_path()
    _rev, root = call(bus_name, menu, "com.canonical.dbusmenu", "GetLayout",
                      GLib.Variant("(iias)", (0, -1, [])), "(u(ia{sv}av))")

    def conv(node):
        ident, props, children = node
        return {
            "id": ident,
            "label": props.get("label", "").replace("_", ""),
            "type": props.get("type", "standard"),
            "toggle": props.get("toggle-type", ""),
            "checked": props.get("toggle-state", 0) == 1,
            "enabled": props.get("enabled", True),
            "children": [conv(c) for c in children],
        }

    return [conv(c) for c in root[2]]


def click(label_path):
    bus_name, menu = menu_path()
    entries = layout()
    found = None
    for part in label_path.split("/"):
        found = next((e for e in entries if e["label"] == part), None)
        if found is None:
            raise KeyError(f"no menu entry {part!r} in {[e['label'] for e in entries]}")
        entries = found["children"]
    call(bus_name, menu, "com.canonical.dbusmenu", "Event",
         GLib.Variant("(isvu)", (found["id"], "clicked", GLib.Variant("i", 0), 0)), "()")
    return found["id"]


def on_main(fn):
    # D-Bus calls run on the main loop's thread; errors go to the test.
    def run():
        try:
            out(fn())
        except Exception as e:  # noqa: BLE001
            out({"error": str(e)})
        return False

    GLib.idle_add(run)


def commands():
    for line in sys.stdin:
        line = line.strip()
        if line == "menu":
            on_main(lambda: {"menu": layout()})
        elif line == "label":
            on_main(label)
        elif line == "notifications":
            on_main(lambda: {"notifications": list(notifications)})
        elif line == "notifications clear":
            def clear():
                n = len(notifications)
                notifications.clear()
                return {"cleared": n}
            on_main(clear)
        elif line.startswith("click "):
            target = line[len("click "):]
            on_main(lambda t=target: {"clicked": click(t)})
        elif line:
            out({"error": f"unknown command {line!r}"})
    loop.quit()


def own_name():
    Gio.bus_own_name_on_connection(bus, "org.kde.StatusNotifierWatcher", Gio.BusNameOwnerFlags.NONE,
                                   lambda *_: out({"event": "watching"}), lambda *_: out({"error": "name taken"}))
    Gio.bus_own_name_on_connection(bus, "org.freedesktop.Notifications", Gio.BusNameOwnerFlags.NONE,
                                   lambda *_: out({"event": "notifying"}), lambda *_: out({"error": "name taken"}))


loop = GLib.MainLoop()
own_name()
threading.Thread(target=commands, daemon=True).start()
loop.run()
