import { watch, type FSWatcher, type Stats } from "node:fs";
import { stat } from "node:fs/promises";

/** How often the files are checked even when no watch event came (network drives send none). */
const modelFilePollMs = 1000;

interface Identity {
    readonly dev: number;
    readonly ino: number;
    readonly size: number;
    readonly mtimeMs: number;
}

/**
 * Notices a loaded model's file changing on disk. llama.cpp maps the file into memory: once it is
 * cut short, reading a page past the new end raises SIGBUS and kills the process, and a file
 * replaced by another holds other weights than the ones loaded. Either way the model must go
 * before llama.cpp reads it again. Reports each watched file's first change once.
 */
export class ModelFileWatch {
    private readonly watchers: FSWatcher[] = [];
    private readonly timer: NodeJS.Timeout;
    private disposed = false;
    private checking = false;

    private constructor(
        private readonly files: ReadonlyMap<string, Identity>,
        private readonly onChange: (path: string, detail: string) => void,
    ) {
        for (const path of files.keys()) {
            try {
                const watcher = watch(path, { persistent: false }, () => void this.check());
                watcher.on("error", () => undefined); // the poll still sees it
                this.watchers.push(watcher);
            } catch {
                // Some file systems cannot be watched: the poll covers them.
            }
        }
        this.timer = setInterval(() => void this.check(), modelFilePollMs);
        this.timer.unref();
    }

    /** Starts watching `paths` as they are now. */
    static async start(paths: readonly string[], onChange: (path: string, detail: string) => void): Promise<ModelFileWatch> {
        const files = new Map<string, Identity>();
        for (const path of new Set(paths)) files.set(path, identityOf(await stat(path)));
        return new ModelFileWatch(files, onChange);
    }

    /** Compares every file with what was loaded; reports the first difference and stops. */
    async check(): Promise<void> {
        if (this.disposed || this.checking) return;
        this.checking = true;
        try {
            for (const [path, loaded] of this.files) {
                const detail = await changeOf(path, loaded);
                if (detail !== undefined && !this.disposed) {
                    this.dispose();
                    this.onChange(path, detail);
                    return;
                }
            }
        } finally {
            this.checking = false;
        }
    }

    dispose(): void {
        this.disposed = true;
        clearInterval(this.timer);
        for (const watcher of this.watchers) watcher.close();
        this.watchers.length = 0;
    }
}

function identityOf(stats: Stats): Identity {
    return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
}

/** What changed about `path` since `loaded`, in words, or undefined when nothing did. */
async function changeOf(path: string, loaded: Identity): Promise<string | undefined> {
    let now: Identity;
    try {
        now = identityOf(await stat(path));
    } catch {
        return "the file was deleted or moved";
    }
    if (now.dev !== loaded.dev || now.ino !== loaded.ino) return "the file was replaced by another";
    if (now.size < loaded.size) return `the file was cut from ${loaded.size} to ${now.size} bytes`;
    if (now.size !== loaded.size) return `the file grew from ${loaded.size} to ${now.size} bytes`;
    if (now.mtimeMs !== loaded.mtimeMs) return "the file was rewritten";
    return undefined;
}
