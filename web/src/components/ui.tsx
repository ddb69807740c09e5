// Small building blocks every page uses: states (loading, empty, error), paging, a
// confirmation dialog, a copy button and the quota bar.
import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { bytes } from '../format';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <strong>Something went wrong.</strong> {message}
      {onRetry && (
        <button type="button" className="link" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function Pager({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav className="pager" aria-label="Pages">
      <span>{total === 0 ? 'No items' : `${(page - 1) * pageSize + 1}–${Math.min(total, page * pageSize)} of ${total}`}</span>
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1} aria-label="Previous page">
        ‹
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page >= pages} aria-label="Next page">
        ›
      </button>
    </nav>
  );
}

export function Modal({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="modal"
      aria-label={title}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2>{title}</h2>
      {children}
    </dialog>
  );
}

/** Asks before a destructive action; shows the action's error in place. */
export function Confirm({
  title,
  body,
  action,
  onDone,
  onCancel,
}: {
  title: string;
  body: ReactNode;
  action: string;
  onDone: () => Promise<void>;
  onCancel: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <Modal title={title} onClose={onCancel}>
      <div>{body}</div>
      {error !== undefined && <ErrorNote error={error} />}
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onDone();
            } catch (err) {
              setError(err);
              setBusy(false);
            }
          }}
        >
          {action}
        </button>
      </div>
    </Modal>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="copy"
      aria-label={`${label}: ${text}`}
      onClick={async () => {
        await navigator.clipboard?.writeText(text).catch(() => undefined);
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

export function QuotaBar({ used, limit }: { used: number; limit: number }) {
  if (limit < 0) return <span className="quota">{bytes(used)} of unlimited</span>;
  const share = limit === 0 ? 1 : Math.min(1, used / limit);
  return (
    <span className="quota" title={`${bytes(used)} of ${bytes(limit)}`}>
      {/* biome-ignore lint/a11y/useSemanticElements: a styled bar; <meter> cannot be styled alike across browsers */}
      <span className="bar" role="meter" aria-valuemin={0} aria-valuemax={limit} aria-valuenow={used} aria-label="Storage used">
        <span className={share > 0.9 ? 'fill full' : 'fill'} style={{ width: `${share * 100}%` }} />
      </span>
      {bytes(used)} of {bytes(limit)}
    </span>
  );
}

/** A query's loading, error and empty states, then its data. */
export function QueryView<T>({
  query,
  what,
  isEmpty,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  what: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading what={what} />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <Empty>{empty}</Empty>;
  return <>{children(query.data)}</>;
}

/** Asks before deleting, then deletes with `onDelete` (a resource module's delete) and calls onDeleted. */
export function DeleteDialog({
  title,
  action = 'Delete',
  body,
  onDelete,
  onClose,
  onDeleted,
}: {
  title: string;
  action?: string;
  body: ReactNode;
  onDelete: () => Promise<unknown>;
  onClose: () => void;
  onDeleted: () => Promise<unknown>;
}) {
  return (
    <Confirm
      title={title}
      action={action}
      body={body}
      onCancel={onClose}
      onDone={async () => {
        await onDelete();
        onClose();
        await onDeleted();
      }}
    />
  );
}

/** A table of one page of rows with its column heads and the pager under it. */
export function PagedTable({
  columns,
  className,
  page,
  pageSize,
  total,
  onPage,
  children,
}: {
  /** Column heads; an empty one is an actions column, named for screen readers only. */
  columns: string[];
  className?: string;
  page: number;
  pageSize: number;
  total: number;
  onPage: (p: number) => void;
  children: ReactNode;
}) {
  return (
    <>
      <table className={className}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a table's columns are fixed, and the actions column has no name to key by
              <th key={i} scope="col">
                {c || <span className="sr-only">Actions</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
      <Pager page={page} pageSize={pageSize} total={total} onPage={onPage} />
    </>
  );
}

/** An error to show in place, and `run`, which clears it, runs an action and keeps what it throws. */
export function useErrorSlot() {
  const [error, setError] = useState<unknown>();
  const run =
    <A extends unknown[]>(action: (...args: A) => Promise<unknown>) =>
    async (...args: A) => {
      setError(undefined);
      try {
        await action(...args);
      } catch (err) {
        setError(err);
      }
    };
  return { error, setError, run };
}

/** A log fetched when shown, in a dialog (a replication task's, a garbage collection run's). */
export function LogDialog({
  title,
  queryKey,
  load,
  onClose,
}: {
  title: string;
  queryKey: readonly unknown[];
  load: () => Promise<string>;
  onClose: () => void;
}) {
  const text = useQuery({ queryKey, queryFn: load });
  return (
    <Modal title={title} onClose={onClose}>
      {text.isPending ? <Loading what="the log" /> : text.isError ? <ErrorNote error={text.error} /> : <pre className="log">{text.data || '(empty)'}</pre>}
      <div className="actions">
        <button type="button" className="primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
