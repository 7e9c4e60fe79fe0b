import type { ServerResponse } from 'node:http';
import { queryFlag } from './go-url.js';
import type { ApiRequest } from './rest.js';

interface Stream {
  text: string;
  ended: boolean;
  followers: Set<ServerResponse>;
}

const keyOf = (namespace: string, pod: string) => `${namespace}/${pod}`;

/** Container output per pod; `logs -f` followers see each later write until the log is ended. */
export class PodLogs {
  #streams = new Map<string, Stream>();

  #stream(namespace: string, pod: string): Stream {
    const key = keyOf(namespace, pod);
    let stream = this.#streams.get(key);
    if (!stream) {
      stream = { text: '', ended: false, followers: new Set() };
      this.#streams.set(key, stream);
    }
    return stream;
  }

  /** Appends output (add the trailing newline yourself) and sends it to every follower. */
  write(namespace: string, pod: string, text: string): void {
    const stream = this.#stream(namespace, pod);
    stream.text += text;
    for (const follower of stream.followers) follower.write(text);
  }

  /** The container stopped: followers' streams end, as `logs -f` does when a container exits. */
  end(namespace: string, pod: string): void {
    const stream = this.#stream(namespace, pod);
    stream.ended = true;
    for (const follower of stream.followers) follower.end();
    stream.followers.clear();
  }

  /** Ends every follower (on close) without marking logs ended. */
  endFollowers(): void {
    for (const stream of this.#streams.values()) {
      for (const follower of stream.followers) follower.end();
      stream.followers.clear();
    }
  }

  clear(): void {
    this.endFollowers();
    this.#streams.clear();
  }

  /** GET …/pods/<name>/log, honouring `tailLines` and `follow`. */
  serve(namespace: string, pod: string, req: ApiRequest, res: ServerResponse): void {
    const stream = this.#stream(namespace, pod);
    const tail = req.query.get('tailLines');
    let text = stream.text;
    if (tail !== null) {
      const lines = text.split(/(?<=\n)/);
      text = Number(tail) === 0 ? '' : lines.slice(-Number(tail)).join('');
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    // Headers go out now: a client waits for them before it reads any (possibly much later) event.
    res.flushHeaders();
    res.write(text);
    if (!queryFlag(req.query, 'follow') || stream.ended) {
      res.end();
      return;
    }
    stream.followers.add(res);
    res.on('close', () => stream.followers.delete(res));
  }
}
