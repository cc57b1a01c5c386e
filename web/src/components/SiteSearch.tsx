import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { type SearchResults, api, call } from '../api/client';
import { useI18n } from '../i18n';
import { navigate, useLocation, withQuery } from '../router';
import { profilePath } from './UserLink';

// Suggestions wait for a pause in typing, and for enough letters to mean something.
const DEBOUNCE_MS = 200;
const MIN_CHARS = 2;
const LIMIT = 5;

interface Suggestion {
  href: string;
  label: string;
  detail: string | null;
  kind: 'movie' | 'member';
}

function suggestionsOf(results: SearchResults, memberLabel: string): Suggestion[] {
  return [
    ...results.movies.map((m): Suggestion => ({ href: `/movies/${m.id}`, label: m.title, detail: m.year === null ? null : String(m.year), kind: 'movie' })),
    ...results.users.map((u): Suggestion => ({ href: profilePath(u.username), label: u.display_name ?? u.username, detail: memberLabel, kind: 'member' })),
  ];
}

/**
 * The header's search box: an ARIA 1.2 combobox whose listbox suggests films and members as one
 * types. Arrow keys move through the suggestions (the focus stays in the box, aria-activedescendant
 * says which is highlighted), Enter opens the highlighted one or else the results page, Escape
 * closes the list. Only the answer to the latest text is ever shown: each new text aborts the
 * request before it, and an answer is dropped unless its text is still the one in the box.
 */
export function SiteSearch() {
  const { t } = useI18n();
  const { path, query } = useLocation();
  const id = useId();
  const listId = `${id}-list`;
  const [text, setText] = useState(path === '/search' ? (query.get('q') ?? '') : '');
  const [items, setItems] = useState<Suggestion[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [announcement, setAnnouncement] = useState('');
  const latest = useRef('');

  const wanted = text.trim();
  useEffect(() => {
    latest.current = wanted;
    if (wanted.length < MIN_CHARS) {
      setItems([]);
      setOpen(false);
      setActive(-1);
      setAnnouncement('');
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      call(api.GET('/api/v1/search', { params: { query: { q: wanted, limit: LIMIT } }, signal: controller.signal })).then(
        ({ data }) => {
          if (controller.signal.aborted || latest.current !== wanted) return;
          const found = suggestionsOf(data, t.suggestionMember);
          setItems(found);
          setActive(-1);
          setOpen(true);
          setAnnouncement(t.suggestionCount(found.length));
        },
        // Suggestions are a convenience: when they fail (or are aborted), Enter still searches.
        () => undefined,
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [wanted, t]);

  // A new page closes the list; the results page shows its own words in the box.
  useEffect(() => {
    setOpen(false);
    setActive(-1);
    if (path === '/search') setText(query.get('q') ?? '');
  }, [path, query]);

  const expanded = open && items.length > 0;

  const close = () => {
    setOpen(false);
    setActive(-1);
  };

  const choose = (item: Suggestion) => {
    close();
    setText('');
    navigate(item.href);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (items.length === 0) return;
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setOpen(true);
      // From nothing highlighted, Down goes to the first and Up to the last; both wrap around.
      setActive((current) => (!expanded || current === -1 ? (step === 1 ? 0 : items.length - 1) : (current + step + items.length) % items.length));
    } else if (event.key === 'Escape') {
      if (expanded) {
        event.preventDefault();
        close();
      } else if (text !== '') {
        event.preventDefault();
        setText('');
      }
    } else if (event.key === 'Enter' && expanded && active >= 0) {
      event.preventDefault();
      choose(items[active]!);
    }
  };

  return (
    <form
      class="site-search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        if (wanted === '') return;
        close();
        navigate(withQuery('/search', { q: wanted }));
      }}
    >
      <label class="visually-hidden" for={id}>
        {t.siteSearch}
      </label>
      <div class="site-search__box">
        <input
          id={id}
          type="text"
          name="q"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={expanded ? 'true' : 'false'}
          aria-controls={listId}
          aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
          autoComplete="off"
          enterKeyHint="search"
          placeholder={t.siteSearchPlaceholder}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={onKeyDown}
          onBlur={close}
          onFocus={() => items.length > 0 && wanted.length >= MIN_CHARS && setOpen(true)}
        />
        <ul id={listId} class="site-search__list" role="listbox" aria-label={t.suggestions} hidden={!expanded}>
          {items.map((item, i) => (
            <li
              key={item.href}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active ? 'true' : 'false'}
              class={i === active ? 'site-search__option site-search__option--active' : 'site-search__option'}
              // The box keeps the focus (and the list stays open) while the pointer picks.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(item)}
            >
              <span class="site-search__label">{item.label}</span>
              {item.detail && <span class={item.kind === 'member' ? 'badge' : 'muted'}>{item.detail}</span>}
            </li>
          ))}
        </ul>
      </div>
      <button type="submit" class="button button--secondary">
        {t.search}
      </button>
      <p class="visually-hidden" role="status">
        {announcement}
      </p>
    </form>
  );
}
