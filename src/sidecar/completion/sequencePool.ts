import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp" with { "resolution-mode": "import" };

/**
 * One context sequence per recently used document, least recently used reassigned
 * first, so that switching between a few files keeps each one's KV cache.
 */
export class SequencePool<State> {
    private readonly entries = new Map<string, { sequence: LlamaContextSequence; state: State }>();
    private readonly free: LlamaContextSequence[] = [];

    constructor(
        private readonly context: LlamaContext,
        private readonly capacity: number,
        private readonly initialState: () => State,
    ) {}

    /** The document's sequence and state, taking over the least recently used one when all are in use. */
    async acquire(documentId: string): Promise<{ sequence: LlamaContextSequence; state: State; isNew: boolean }> {
        const existing = this.entries.get(documentId);
        if (existing !== undefined) {
            this.entries.delete(documentId); // re-insert: Map order is the LRU order
            this.entries.set(documentId, existing);
            return { ...existing, isNew: false };
        }
        let sequence = this.free.pop();
        if (sequence === undefined && this.entries.size < this.capacity) sequence = this.context.getSequence();
        if (sequence === undefined) {
            const [oldest] = this.entries.keys();
            const evicted = oldest === undefined ? undefined : this.entries.get(oldest);
            if (oldest === undefined || evicted === undefined) throw new Error("The sequence pool is empty.");
            this.entries.delete(oldest);
            sequence = evicted.sequence;
            await sequence.clearHistory();
        }
        const entry = { sequence, state: this.initialState() };
        this.entries.set(documentId, entry);
        return { ...entry, isNew: true };
    }

    /** The document's sequence, without making it the most recently used. */
    peek(documentId: string): LlamaContextSequence | undefined {
        return this.entries.get(documentId)?.sequence;
    }

    get size(): number {
        return this.entries.size;
    }

    documents(): string[] {
        return [...this.entries.keys()];
    }
}
