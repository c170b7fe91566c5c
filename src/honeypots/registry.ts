// The static catalogue of honeypot modules: T-Pot `type` → module. Adding a honeypot = one file + one line here.
import type { HoneypotType } from './honeypot-type.js';
import type { Honeypot } from './honeypot.js';
import { adbhoney } from './adbhoney.js';
import { beelzebub } from './beelzebub.js';
import { ciscoasa } from './ciscoasa.js';
import { citrixhoneypot } from './citrixhoneypot.js';
import { conpot } from './conpot.js';
import { cowrie } from './cowrie.js';
import { ddospot } from './ddospot.js';
import { dicompot } from './dicompot.js';
import { dionaea } from './dionaea.js';
import { elasticpot } from './elasticpot.js';
import { endlessh } from './endlessh.js';
import { galah } from './galah.js';
import { glutton } from './glutton.js';
import { gopot } from './go-pot.js';
import { h0neytr4p } from './h0neytr4p.js';
import { hellpot } from './hellpot.js';
import { heralding } from './heralding.js';
import { honeyaml } from './honeyaml.js';
import { honeypots } from './honeypots.js';
import { honeytrap } from './honeytrap.js';
import { ipphoney } from './ipphoney.js';
import { log4pot } from './log4pot.js';
import { mailoney } from './mailoney.js';
import { medpot } from './medpot.js';
import { miniprint } from './miniprint.js';
import { rdphoneypot } from './rdphoneypot.js';
import { redishoneypot } from './redishoneypot.js';
import { sentrypeer } from './sentrypeer.js';
import { tanner } from './tanner.js';
import { wordpot } from './wordpot.js';
import { suricata } from './suricata.js';
import { p0f } from './p0f.js';
import { fatt } from './fatt.js';
import { nginx } from './nginx.js';

const MODULES: readonly Honeypot[] = [
  adbhoney,
  beelzebub,
  ciscoasa,
  citrixhoneypot,
  conpot,
  cowrie,
  ddospot,
  dicompot,
  dionaea,
  elasticpot,
  endlessh,
  galah,
  glutton,
  gopot,
  h0neytr4p,
  hellpot,
  heralding,
  honeyaml,
  honeypots,
  honeytrap,
  ipphoney,
  log4pot,
  mailoney,
  medpot,
  miniprint,
  rdphoneypot,
  redishoneypot,
  sentrypeer,
  tanner,
  wordpot,
  suricata,
  p0f,
  fatt,
  nginx,
];

const byType = new Map<HoneypotType, Honeypot>(MODULES.map((m) => [m.type, m]));

/** Every module, in catalogue order. */
export function allHoneypots(): readonly Honeypot[] {
  return MODULES;
}

/** The module for a T-Pot `type` value (exact spelling), if there is one. */
export function honeypotFor(type: string): Honeypot | undefined {
  return byType.get(type as HoneypotType);
}
