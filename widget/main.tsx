/**
 * `<terminkette-booking practice="demo">`: the booking widget as a custom element. Its shadow root
 * keeps the host page's CSS out and its own in; each element has its own flow (state), so several
 * on one page never meet. The API is the server the script came from.
 */
import { render } from 'preact';
import { Widget } from './app.tsx';
import { createFlow, type Flow } from './flow.ts';
import css from './style.css?inline';

// When the script started: what the time to the first free times on screen is measured from.
performance.mark('terminkette:start');

class TerminketteBooking extends HTMLElement {
  static observedAttributes = ['practice', 'lang', 'chain', 'therapist', 'mode'];
  flow?: Flow;

  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    // Under a strict CSP the page gives its nonce for the style element; otherwise a constructed
    // style sheet, which no policy on inline styles concerns.
    const nonce = this.nonce || this.getAttribute('nonce');
    if (nonce || !root.adoptedStyleSheets) {
      const style = document.createElement('style');
      if (nonce) style.nonce = nonce;
      style.textContent = css;
      root.append(style);
    } else {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    }
    root.append(document.createElement('div'));
    // A start held for a visitor who leaves is free again at once, not only when the hold runs out.
    // (Should the page come back from the back-forward cache, it shows the times again.)
    addEventListener('pagehide', () => this.free());
    this.mount();
  }

  /** A page that changes an attribute later (its language, the chain) gets a widget started anew. */
  attributeChangedCallback(_: string, before: string | null, after: string | null) {
    if (this.flow && before !== after) {
      this.free();
      this.mount();
    }
  }

  free() {
    if (this.flow?.hold.value) void this.flow.back('times');
  }

  mount() {
    const at = (name: string) => this.getAttribute(name);
    const host = this.shadowRoot!.lastChild as HTMLElement;
    render(null, host);
    const flow = createFlow({
      base: new URL(import.meta.url).origin,
      practice: at('practice') ?? '',
      lang: at('lang') === 'en' ? 'en' : 'de',
      chain: at('chain'),
      therapist: at('therapist'),
      emit: (name, detail) =>
        this.dispatchEvent(new CustomEvent(`terminkette:${name}`, { bubbles: true, composed: true, detail })),
    });
    this.flow = flow;
    // The first request leaves before anything is drawn.
    flow.start();
    render(<Widget f={flow} mode={at('mode')} />, host);
  }
}

if (!customElements.get('terminkette-booking'))
  customElements.define('terminkette-booking', TerminketteBooking);
