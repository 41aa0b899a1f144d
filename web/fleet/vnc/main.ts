// The fleet monitor's live-view page is the device's (web/device/vnc): the same script and styles,
// reading ?device= to reach the session through the monitor's relay (/sessions/<device>/<id>/vnc).
import '../../device/vnc/main';
