import { navigate } from '@common/router';
import type { ReactNode } from 'react';

/** An in-app link: a real <a href> (so middle-click/new tab work) that navigates client-side on a plain click. */
export function AppLink(props: { to: string; className?: string; testId?: string; children: ReactNode }) {
  return (
    <a
      href={props.to}
      className={props.className}
      data-testid={props.testId}
      onClick={(ev) => {
        if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey || ev.button !== 0) return;
        ev.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}
