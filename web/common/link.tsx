// An in-app link: a real <a href> (so middle-click and "open in new tab" work) that navigates
// client-side on a plain click.
import type { MouseEvent, ReactNode } from 'react';
import { navigate } from './router';

export function AppLink(props: { to: string; className?: string; testId?: string; title?: string; children: ReactNode }) {
  const onClick = (ev: MouseEvent<HTMLAnchorElement>) => {
    // Links inside clickable rows must not trigger the row as well.
    ev.stopPropagation();
    if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey || ev.button !== 0) return;
    ev.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={props.to} className={props.className} data-testid={props.testId} title={props.title} onClick={onClick}>
      {props.children}
    </a>
  );
}
