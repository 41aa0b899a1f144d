import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@common/styles.css';
import './fleet.css';
import { App } from './App';
import { devicePageQuery, summaryQuery } from './api';
import { filtersFromSearch } from './device-model';

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: true, staleTime: 1000 } },
});

// The device list is the landing page: ask for its first page while React is still rendering.
if (window.location.pathname === '/') {
  void queryClient.prefetchQuery(devicePageQuery(filtersFromSearch(window.location.search), 0));
  void queryClient.prefetchQuery(summaryQuery);
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
