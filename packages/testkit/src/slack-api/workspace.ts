/** The state a fake Slack workspace keeps: what a test asserts against after the app has run. */

export interface FakeUser {
  readonly id: string;
  readonly name: string;
  readonly realName?: string | undefined;
}

/** One message as Slack holds it: its latest text/blocks after any chat.update. */
export interface FakeMessage {
  readonly channel: string;
  readonly ts: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> } | undefined;
  /** How many times chat.update changed it. */
  updates: number;
  /** Earlier versions, oldest first (the post, then each update before the latest). */
  readonly history: { text: string; blocks: unknown[] }[];
}

export interface FakeEphemeral {
  readonly channel: string;
  readonly user: string;
  readonly text: string;
  readonly blocks: unknown[];
  readonly messageTs: string;
}

export interface FakeView {
  readonly id: string;
  readonly triggerId: string;
  readonly view: Record<string, unknown>;
}

/** A body posted to a response_url the fake handed out. */
export interface FakeResponse {
  readonly responseUrl: string;
  readonly body: Record<string, unknown>;
}

export class Workspace {
  readonly teamId = 'T0GATEHOUSE';
  readonly botUserId = 'U0BOT';
  readonly botId = 'B0BOT';
  readonly users = new Map<string, FakeUser>();
  readonly usergroups = new Map<string, string[]>();
  /** channel -> ts -> message, in posting order. */
  readonly channels = new Map<string, Map<string, FakeMessage>>();
  readonly ephemerals: FakeEphemeral[] = [];
  readonly views: FakeView[] = [];
  readonly responses: FakeResponse[] = [];
  /** DM channel id per user, created by conversations.open. */
  readonly dms = new Map<string, string>();
  private lastMicros = 0;
  private sequence = 0;

  /** Slack timestamps are "seconds.micros" of the posting time, unique per channel; ours are unique and ordered. */
  nextTs(): string {
    this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    const text = String(this.lastMicros);
    return `${text.slice(0, -6)}.${text.slice(-6)}`;
  }

  nextId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}${String(this.sequence).padStart(8, '0')}`;
  }

  post(channel: string, text: string, blocks: unknown[], metadata: FakeMessage['metadata']): FakeMessage {
    const message: FakeMessage = {
      channel,
      ts: this.nextTs(),
      text,
      blocks,
      metadata,
      updates: 0,
      history: [],
    };
    let messages = this.channels.get(channel);
    if (!messages) {
      messages = new Map();
      this.channels.set(channel, messages);
    }
    messages.set(message.ts, message);
    return message;
  }

  find(channel: string, ts: string): FakeMessage | undefined {
    return this.channels.get(channel)?.get(ts);
  }

  dmChannel(userId: string): string {
    let id = this.dms.get(userId);
    if (!id) {
      id = this.nextId('D');
      this.dms.set(userId, id);
    }
    return id;
  }
}
