import { readDetails, type ClaimsFile, type DetailsSeedSpread } from './evidence_files';

const pm = (v: number) => (v > 0 ? `+${v.toFixed(1)}` : v.toFixed(1));

/**
 * The claims as a markdown table (README, notebooks): accuracies (mean over seeds), Δ with its 95 % bootstrap interval
 * over test images (seeds pooled), the seed spread of Δ, McNemar's p and the verdict.
 */
export function claimsTable(claims: ClaimsFile, detailsFile?: string): string {
  const details = readDetails(detailsFile);
  const rows = claims.claims.map((c) => {
    const spread = details?.claims.find((d) => d.id === c.id)?.seed_spread;
    const extra = c.id === 'C5' && c.baseline.size_bytes && c.treatment.size_bytes
      ? `; ${(c.baseline.size_bytes / 1e6).toFixed(2)} → ${(c.treatment.size_bytes / 1e6).toFixed(2)} MB, ${c.baseline.latency_ms} → ${c.treatment.latency_ms} ms`
      : '';
    return [
      c.id,
      c.claim,
      `${c.baseline.label}: ${acc(c.baseline)}`,
      `${c.treatment.label}: ${acc(c.treatment)}${extra}`,
      ...numbers(c, spread),
    ];
  });
  return [
    `Profile \`${claims.profile}\`, ${claims.test_images} held-out test images per model, commit ${claims.commit.slice(0, 12)}.`,
    '',
    ...markdownTable(HEAD, rows),
  ].join('\n');
}

/**
 * The follow-up comparisons of details.json as a markdown table (empty string when there are none): same columns as
 * the claims, plus the claim each one follows up. `of` keeps only those of one claim.
 */
export function followUpTable(detailsFile: string | undefined, of?: string): string {
  const fus = (readDetails(detailsFile)?.follow_ups ?? []).filter((f) => !of || f.of === of);
  if (!fus.length) return '';
  const rows = fus.map((f) => [`${f.id} (follows ${f.of})`, f.claim, `${f.baseline.label}: ${acc(f.baseline)}`, `${f.treatment.label}: ${acc(f.treatment)}`, ...numbers(f, f.seed_spread)]);
  return [
    'Follow-up comparisons (registered after the claims were decided; not part of claims.json or of any claim\'s verdict):',
    '',
    ...markdownTable(HEAD, rows),
  ].join('\n');
}

const HEAD = ['id', 'claim', 'baseline (test acc.)', 'treatment (test acc.)', 'Δ points [95 % CI]', 'Δ by seed: mean ± std (each)', 'p (McNemar)', 'verdict'];

function acc(s: { mean: number | null; accuracy_by_seed: (number | null)[] }): string {
  return s.mean !== null ? `${s.mean.toFixed(1)} %` : `${s.accuracy_by_seed.filter((a) => a !== null).length}/${s.accuracy_by_seed.length} seeds done`;
}

/** Δ [CI], seed spread, p and verdict cells. */
function numbers(c: { delta_points: number | null; ci95: [number, number] | null; p_mcnemar: number | null; verdict: string }, spread: DetailsSeedSpread | null | undefined): string[] {
  return [
    c.delta_points !== null && c.ci95 ? `${pm(c.delta_points)} [${pm(c.ci95[0])}, ${pm(c.ci95[1])}]` : '–',
    !spread ? '–' : spread.delta_by_seed.length === 1 ? `${pm(spread.mean)} (one seed)` : `${pm(spread.mean)} ± ${spread.std.toFixed(1)} (${spread.delta_by_seed.map(pm).join(', ')})`,
    c.p_mcnemar !== null ? String(c.p_mcnemar) : '–',
    `**${c.verdict}**`,
  ];
}

function markdownTable(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}
