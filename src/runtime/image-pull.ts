/**
 * Pulling a node image with progress people can follow: Docker reports every layer's every tick, which this folds
 * into one line per image (layers done, bytes downloaded) given out at most once a second, the layers' milestones
 * included. The caller decides where the lines go (the log, events on the clusters waiting for the image); the
 * outcome (pulled, or why not) is the pull's result, never held back.
 */
import type Docker from 'dockerode';

/** One JSON object of Docker's pull stream. */
export interface PullEvent {
  id?: string;
  status?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
}

/** At most one progress line per image in this long. */
export const PROGRESS_EVERY_MS = 1000;

/** Whether a progress line is due: the first one always, then one per interval at most. */
export function progressDue(lastReportedAt: number | undefined, now: number, everyMs = PROGRESS_EVERY_MS): boolean {
  return lastReportedAt === undefined || now - lastReportedAt >= everyMs;
}

interface LayerState {
  done: boolean;
  current: number;
  total: number;
}

/** Statuses after which a layer needs nothing more from the registry. */
const LAYER_DONE = /^(Pull complete|Already exists|Download complete)$/;

const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** One image's pull as it goes: every layer's latest state, summed up in one line. */
export class PullProgress {
  private readonly layers = new Map<string, LayerState>();

  /** Takes one event of the pull stream; events about the image as a whole (no layer id of its own) are ignored. */
  add(event: PullEvent): void {
    if (!event.id || !event.status || event.status.startsWith('Pulling from')) return;
    const layer = this.layers.get(event.id) ?? { done: false, current: 0, total: 0 };
    if (LAYER_DONE.test(event.status)) {
      layer.done = true;
      if (layer.total > 0) layer.current = layer.total;
    } else if (event.status === 'Downloading' && event.progressDetail) {
      layer.current = event.progressDetail.current ?? layer.current;
      layer.total = event.progressDetail.total ?? layer.total;
    }
    this.layers.set(event.id, layer);
  }

  /** `2 of 5 layers done, 12.3 MB of 40.1 MB downloaded`, or less where Docker has not told sizes yet. */
  summary(): string {
    const layers = [...this.layers.values()];
    const done = layers.filter((layer) => layer.done).length;
    const total = layers.reduce((sum, layer) => sum + layer.total, 0);
    const current = layers.reduce((sum, layer) => sum + layer.current, 0);
    const counted = `${done} of ${layers.length} layers done`;
    return total > 0 ? `${counted}, ${megabytes(current)} of ${megabytes(total)} downloaded` : counted;
  }
}

/**
 * Folds a pull's events into progress lines for `report`, one per PROGRESS_EVERY_MS at most, counted from
 * `lastReportedAt` (the pull's first line, when it gave one).
 */
export function progressReporter(
  report: (summary: string) => void,
  now: () => number = Date.now,
  lastReportedAt?: number,
): (event: PullEvent) => void {
  const progress = new PullProgress();
  return (event) => {
    progress.add(event);
    const at = now();
    if (!progressDue(lastReportedAt, at)) return;
    lastReportedAt = at;
    report(progress.summary());
  };
}

/**
 * Pulls an image from its registry, handing `report` a line when it starts, then its progress at most once per
 * PROGRESS_EVERY_MS since the previous line. Rejects with Docker's reason when the pull fails (an unknown image, no
 * registry reachable).
 */
export async function pullImage(
  docker: Docker,
  image: string,
  report: (summary: string) => void,
  now: () => number = Date.now,
): Promise<void> {
  report('not on the Docker daemon, pulling it');
  // The first line counts as the image's line for its second.
  const onEvent = progressReporter(report, now, now());
  const stream = await docker.pull(image);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (error: Error | null, events: PullEvent[]) => {
        // A registry's refusal may come as an event of the stream rather than a failed request.
        const refused = events?.find((event) => event.error)?.error;
        if (error || refused) reject(error ?? new Error(refused));
        else resolve();
      },
      onEvent,
    ),
  );
}
