// Lines of Cowrie's own JSON log (cowrie/log/cowrie.json), as the files source reads them.

/** A Cowrie record from `ip` at `timestamp` (a connection unless `fields` says otherwise), one line with its newline. */
export function cowrieLine(ip: string, timestamp: string, fields: Readonly<Record<string, unknown>> = {}): string {
  const record = { eventid: 'cowrie.session.connect', src_ip: ip, src_port: 40000, dst_ip: '172.18.0.4', dst_port: 22, session: `s${ip.replace(/\D/g, '')}`, protocol: 'ssh', sensor: 'c0ffee42ab17', timestamp, ...fields };
  return `${JSON.stringify(record)}\n`;
}
