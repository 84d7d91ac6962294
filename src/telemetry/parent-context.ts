// A unit's span as the parent of its attempts, without the API's BaseContext: trace.setSpan() copies the parent's
// Map and makes three closures per context, once per proxied request (the top of the tracing's own self time in the
// proxy's profile). This Context holds the one span and defers to the context it continues for everything else; a
// caller that derives a new context from it (none on the proxy's path) gets the API's own.
import { createContextKey, trace, type Context, type Span } from '@opentelemetry/api';

/** The API's own key: createContextKey is Symbol.for(description), the same symbol trace.getSpan() reads. */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');

class SpanParent implements Context {
  readonly #parent: Context;
  readonly #span: Span;
  #full: Context | undefined;

  constructor(parent: Context, span: Span) {
    this.#parent = parent;
    this.#span = span;
  }

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.#span : this.#parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.#api().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.#api().deleteValue(key);
  }

  #api(): Context {
    return (this.#full ??= trace.setSpan(this.#parent, this.#span));
  }
}

/** `parent` with `span` as its span: what trace.setSpan(parent, span) gives, at the cost of one small object. */
export const withSpan = (parent: Context, span: Span): Context => new SpanParent(parent, span);
