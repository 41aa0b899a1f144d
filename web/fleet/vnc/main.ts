// The fleet monitor's live-view page: the shared viewer (web/common/vnc), reading ?device= to reach
// the session through the monitor's relay (/sessions/<device>/<id>/vnc).
import '@common/vnc/live-view';
