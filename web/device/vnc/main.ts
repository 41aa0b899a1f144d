// The device's live-view page: the shared viewer (web/common/vnc), reaching sessions on this
// appliance (/sessions/<id>/vnc).
import '@common/vnc/live-view';
