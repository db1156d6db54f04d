import type { ExperimentSpec } from '../experiment';
import type { Profile } from './profiles';

/**
 * The workbook's named runs, shared by the notebooks that train them and those that reuse them (03 reuses 02's
 * GG-CNN, 06 exports 02's and 05's models). A run is trained once per results folder and reloaded afterwards
 * (`results/runs/<name>`; a changed config is refused rather than silently mixed).
 */
export const experiments = {
  /** notebook 02: the baseline */
  ggcnn: (): ExperimentSpec => ({ name: 'ggcnn', model: { name: 'ggcnn' } }),
  /** notebook 03: the report's replacement network, at the profile's size */
  pspnet: (p: Profile, seed = 1): ExperimentSpec => ({
    name: seed === 1 ? 'pspnet' : `pspnet-s${seed}`,
    model: { name: 'pspnet', resnetDepth: p.pspnet.depth, widthMultiplier: p.pspnet.widthMultiplier },
    seed,
  }),
  /**
   * notebook 04: PSPNet with the aux head on layer3, `loss = main + w · aux`. Weight 0 is notebook 03's PSPNet (no aux
   * head): an aux head with zero loss weight gets no gradient and leaves the main path's gradients unchanged, so the
   * two are the same experiment, and one run serves both.
   */
  pspnetAux: (p: Profile, auxWeight: number, seed: number): ExperimentSpec =>
    auxWeight === 0
      ? { ...experiments.pspnet(p, seed) }
      : {
          name: `pspnet-aux${auxWeight}-s${seed}`,
          model: { name: 'pspnet', resnetDepth: p.pspnet.depth, widthMultiplier: p.pspnet.widthMultiplier, aux: true },
          auxWeight,
          seed,
        },
  /** notebook 05: the KD teacher (deeper/wider PSPNet) */
  teacher: (p: Profile): ExperimentSpec => ({
    name: 'kd-teacher',
    model: { name: 'pspnet', resnetDepth: p.teacher.depth, widthMultiplier: p.teacher.widthMultiplier },
    epochs: p.teacher.epochs,
  }),
  /**
   * notebook 05: the student, alone or distilled. The student is the report's replacement network (notebook 03's
   * PSPNet: ResNet50 in `paper`), so 'alone' is notebook 03's run. A teacher other than this profile's own
   * (`kd-teacher`), e.g. the shipped `teacher-reference`, makes other runs: its name is part of theirs.
   */
  student: (p: Profile, variant: 'alone' | 'pixel' | 'pixel+pair', seed: number, teacherName = 'kd-teacher'): ExperimentSpec =>
    variant === 'alone'
      ? experiments.pspnet(p, seed)
      : {
          name: `kd-student-${variant.replace('+', '-')}-s${seed}${teacherTag(teacherName)}`,
          model: { name: 'pspnet', resnetDepth: p.pspnet.depth, widthMultiplier: p.pspnet.widthMultiplier },
          seed,
          kd: { pixel: 1, pair: variant === 'pixel+pair' ? 1 : 0 },
        },
  /** notebook 05: GG-CNN as a student of the same teacher */
  ggcnnStudent: (seed: number, teacherName = 'kd-teacher'): ExperimentSpec => ({ name: `kd-ggcnn-pixel-s${seed}${teacherTag(teacherName)}`, model: { name: 'ggcnn' }, seed, kd: { pixel: 1, pair: 0 } }),
};

/** '' for the profile's own teacher, else `-t-<name>`. */
function teacherTag(teacherName: string): string {
  return teacherName === 'kd-teacher' ? '' : `-t-${teacherName}`;
}
