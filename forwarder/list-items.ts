// A Kubernetes list read as it arrives: each object of its `items` is parsed alone and handed over, so a list of
// 10,000 pod metrics (about 3 MB of JSON) is never held whole, neither as text nor as objects. Holding it whole grew
// the forwarder's RSS by 15 MiB at every poll (npm run bench:forwarder), twice its whole budget for sampling.
//
// Two ways to find where an item ends. The quick one: metrics-server writes each PodMetrics with its containers last
// (the field order of k8s.io/metrics' Go types), so an item ends in `]}` before a `,` or the list's `]`; the text from
// the item's `{` to such a `}` is handed to JSON.parse, and the first that parses is the item — text that ends inside a
// string or a nested object cannot parse, and text spanning two items is not one JSON value. The careful one scans every
// structural character, strings included; it reads the list's own fields, and takes over for good when items do not
// end that way (another server's order): it costs about eight times the CPU (300 ms for 10,000 pods in the image's
// Node flags).

const STRING_STOP = /["\\]/g;
const STRUCTURE = /["{}[\]]/g;
const ITEMS_KEY = /"items"\s*:\s*$/;
const ITEM_END = /\]\s*\}(?=\s*[,\]])/g;
const NEXT = /[^\s,]/g;
/** An item still not ended after this much text is not written the quick way. */
const QUICK_MAX = 64 * 1024;
const OPEN_OBJECT = 123; // {
const OPEN_ARRAY = 91; // [
const QUOTE = 34; // "

type Mode = 'outside' | 'between-items' | 'item';

export class ListItems {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private mode: Mode = 'outside';
  /** The list without its items' text: `{"kind":…,"metadata":{…},"items":[]}`. */
  private outside = '';
  /** The item being scanned carefully, from earlier chunks. */
  private itemParts: string[] = [];
  private quick = true;
  /** Items' text not yet consumed the quick way. */
  private pending = '';

  constructor(private readonly onItem: (item: unknown) => void) {}

  /** Reads the next piece of the body. Throws (SyntaxError) on text that is not a JSON list. */
  write(chunk: string): void {
    if (this.quick && this.mode === 'outside') {
      const into = this.scan(chunk, true);
      if (into < 0) return;
      chunk = chunk.slice(into);
    } else if (!this.quick) {
      this.scan(chunk, false);
      return;
    }
    this.pending += chunk;
    this.drainQuick();
  }

  /** The list's own fields (its `metadata.continue`), once the body has ended. */
  end(): { metadata?: { continue?: unknown } } {
    // Items the quick way could not end (another server's order): the careful way reads them now.
    if (this.pending) this.becomeCareful(this.pending);
    if (this.inString || this.depth !== 0 || this.mode !== 'outside') throw new SyntaxError('the list ended in the middle');
    const list: unknown = JSON.parse(this.outside);
    return list && typeof list === 'object' ? (list as { metadata?: { continue?: unknown } }) : {};
  }

  private drainQuick(): void {
    const text = this.pending;
    let at = 0;
    for (;;) {
      NEXT.lastIndex = at;
      const next = NEXT.exec(text);
      if (!next) {
        this.pending = '';
        return;
      }
      at = next.index;
      if (text[at] === ']') {
        // The items have ended: the rest is the list's own fields, scanned carefully (depth is still the array's).
        this.pending = '';
        this.mode = 'outside';
        this.scan(text.slice(at), false);
        return;
      }
      if (text[at] !== '{') return this.becomeCareful(text.slice(at));
      ITEM_END.lastIndex = at;
      let item: unknown;
      let end = -1;
      for (let e = ITEM_END.exec(text); e; e = ITEM_END.exec(text)) {
        try {
          item = JSON.parse(text.slice(at, e.index + e[0].length));
        } catch {
          continue; // a `]}` inside a string or a nested object: not the end
        }
        end = e.index + e[0].length;
        break;
      }
      if (end < 0) {
        if (text.length - at > QUICK_MAX) return this.becomeCareful(text.slice(at));
        this.pending = text.slice(at);
        return;
      }
      this.onItem(item);
      at = end;
    }
  }

  private becomeCareful(rest: string): void {
    this.quick = false;
    this.pending = '';
    this.scan(rest, false);
  }

  /**
   * The careful way, from the start of `chunk`. With `stopAtItems`, returns the index just past the `[` of the list's
   * items once it reaches it (the quick way goes on from there), or -1 when the chunk ended before.
   */
  private scan(chunk: string, stopAtItems: boolean): number {
    let from = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.inString) {
        const next = this.skipString(chunk, i);
        if (next < 0) break;
        i = next;
      }
      // Straight to the next character that matters: commas, colons, numbers and spaces change nothing here.
      STRUCTURE.lastIndex = i;
      const found = STRUCTURE.exec(chunk);
      if (!found) break;
      i = found.index;
      const c = chunk.charCodeAt(i);
      if (c === QUOTE) {
        this.inString = true;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (this.mode === 'between-items' && c === OPEN_OBJECT) {
          this.mode = 'item';
          from = i;
        } else if (this.mode === 'outside' && c === OPEN_ARRAY && this.depth === 1 && ITEMS_KEY.test(this.outside + chunk.slice(from, i))) {
          this.outside += chunk.slice(from, i + 1);
          this.mode = 'between-items';
          this.depth += 1;
          if (stopAtItems) return i + 1;
          i += 1;
          continue;
        }
        this.depth += 1;
      } else {
        this.depth -= 1;
        if (this.mode === 'item' && this.depth === 2) {
          this.itemParts.push(chunk.slice(from, i + 1));
          const text = this.itemParts.join('');
          this.itemParts = [];
          this.mode = 'between-items';
          this.onItem(JSON.parse(text));
        } else if (this.mode === 'between-items' && this.depth === 1) {
          this.mode = 'outside';
          from = i;
        }
      }
      i += 1;
    }
    if (this.mode === 'outside') this.outside += chunk.slice(from);
    else if (this.mode === 'item') this.itemParts.push(chunk.slice(from));
    return -1;
  }

  /** From inside a string: the index after its closing quote, or -1 when it goes on into the next chunk. */
  private skipString(chunk: string, from: number): number {
    let i = from;
    if (this.escaped) {
      this.escaped = false;
      i += 1;
    }
    for (;;) {
      STRING_STOP.lastIndex = i;
      const stop = STRING_STOP.exec(chunk);
      if (!stop) return -1;
      if (stop[0] === '"') {
        this.inString = false;
        return stop.index + 1;
      }
      if (stop.index + 1 >= chunk.length) {
        this.escaped = true;
        return -1;
      }
      i = stop.index + 2;
    }
  }
}
