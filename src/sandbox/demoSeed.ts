import type { FluxSandbox } from './fluxSandbox.js';

/** The key the demo sandbox accepts. It works nowhere else. */
export const DEMO_KEY = 'flux-demo-key';

export interface DemoTask {
  /** What the task shows, e.g. "succeeded, 2 images". */
  readonly label: string;
  readonly id: string;
}

const MINUTE = 60_000;

/** Sample tasks in every state, under DEMO_KEY; one of them settles about 20 s after seeding. */
export function seedDemo(sandbox: FluxSandbox): DemoTask[] {
  const task = (label: string, id: string, spec: Parameters<FluxSandbox['addTask']>[1]): DemoTask => ({
    label,
    id: sandbox.addTask(DEMO_KEY, { id, ...spec }),
  });
  return [
    task('succeeded, 2 images', 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0001', {
      prompt: 'a red fox curled up in fresh snow, golden hour, 35mm photo',
      model: 'flux-dev',
      size: '1:1',
      images: 2,
      ageMs: 5 * MINUTE,
      settleAfterMs: 9_600,
    }),
    task('succeeded (an edit)', 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0002', {
      action: 'edit',
      prompt: 'make the sky a violet dusk',
      model: 'flux-kontext-pro',
      size: '16:9',
      ageMs: 3 * MINUTE,
      settleAfterMs: 12_300,
    }),
    task('pending (stays pending)', 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0003', {
      prompt: 'an isometric cutaway of a tiny bakery at night',
      model: 'flux-pro',
      size: '16:9',
      settleAfterMs: 24 * 60 * MINUTE,
    }),
    task('settles about 20 s after start', 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0004', {
      prompt: 'a lighthouse on a basalt cliff in a storm, watercolor',
      model: 'flux-2-pro',
      size: '3:2',
      settleAfterMs: 20_000,
    }),
    task('failed', 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0005', {
      outcome: 'failed',
      prompt: 'a photorealistic portrait of a famous person',
      model: 'flux-2-max',
      size: '2:3',
      ageMs: 2 * MINUTE,
      settleAfterMs: 4_100,
      error: { code: 'content_rejected', message: 'The prompt was rejected by content moderation.' },
    }),
  ];
}
