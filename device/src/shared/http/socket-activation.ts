// systemd socket activation (sd_listen_fds(3)): the listening socket belongs to a .socket unit,
// which keeps it open while the service restarts. Connections made in between wait in its backlog
// and are answered by the new process, instead of being refused. systemd passes the socket as
// fd 3 and says so in LISTEN_FDS and LISTEN_PID (the PID check keeps a child that inherited the
// variables from taking a socket that is not its own).
export const SD_LISTEN_FDS_START = 3;

/**
 * The listening socket systemd passed to this process, or null. Removes the variables either way,
 * so the processes the service starts (browsers, X servers) do not see them.
 */
export function takeSystemdSocket(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | null {
  const fds = env.LISTEN_FDS;
  const forPid = env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (fds === undefined || forPid === undefined || Number(forPid) !== pid) return null;
  if (!/^[1-9][0-9]*$/.test(fds)) return null;
  return SD_LISTEN_FDS_START;
}
