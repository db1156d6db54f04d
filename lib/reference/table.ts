import * as fs from 'fs';
import type { ClaimsFile } from './claims';

interface DetailsClaim {
  id: string;
  seed_spread: { mean: number; std: number; delta_by_seed: number[] } | null;
}

const pm = (v: number) => (v > 0 ? `+${v.toFixed(1)}` : v.toFixed(1));

/**
 * The claims as a markdown table (README, notebooks): accuracies (mean over seeds), Δ with its 95 % bootstrap interval
 * over test images (seeds pooled), the seed spread of Δ, McNemar's p and the verdict.
 */
export function claimsTable(claims: ClaimsFile, detailsFile?: string): string {
  const details = detailsFile && fs.existsSync(detailsFile) ? (JSON.parse(fs.readFileSync(detailsFile, 'utf8')) as { claims: DetailsClaim[] }) : undefined;
  const rows = claims.claims.map((c) => {
    const spread = details?.claims.find((d) => d.id === c.id)?.seed_spread;
    const acc = (s: ClaimsFile['claims'][number]['baseline']) =>
      s.mean !== null ? `${s.mean.toFixed(1)} %` : `${s.accuracy_by_seed.filter((a) => a !== null).length}/${s.accuracy_by_seed.length} seeds done`;
    const extra = c.id === 'C5' && c.baseline.size_bytes && c.treatment.size_bytes
      ? `; ${(c.baseline.size_bytes / 1e6).toFixed(2)} → ${(c.treatment.size_bytes / 1e6).toFixed(2)} MB, ${c.baseline.latency_ms} → ${c.treatment.latency_ms} ms`
      : '';
    return [
      c.id,
      c.claim,
      `${c.baseline.label}: ${acc(c.baseline)}`,
      `${c.treatment.label}: ${acc(c.treatment)}${extra}`,
      c.delta_points !== null && c.ci95 ? `${pm(c.delta_points)} [${pm(c.ci95[0])}, ${pm(c.ci95[1])}]` : '–',
      spread ? `${pm(spread.mean)} ± ${spread.std.toFixed(1)} (${spread.delta_by_seed.map(pm).join(', ')})` : '–',
      c.p_mcnemar !== null ? String(c.p_mcnemar) : '–',
      `**${c.verdict}**`,
    ];
  });
  const head = ['id', 'claim', 'baseline (test acc.)', 'treatment (test acc.)', 'Δ points [95 % CI]', 'Δ by seed: mean ± std (each)', 'p (McNemar)', 'verdict'];
  return [
    `Profile \`${claims.profile}\`, ${claims.test_images} held-out test images per model, commit ${claims.commit.slice(0, 12)}.`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
