import { useQuery } from '@tanstack/react-query';
import { fetchAllPages } from './all-pages.ts';
import { api } from './api.ts';
import type { Release, Shop } from './types.ts';

export function useReleases() {
  return useQuery({ queryKey: ['releases'], queryFn: () => fetchAllPages<Release>('/api/releases') });
}

export function useShops() {
  return useQuery({ queryKey: ['shops'], queryFn: () => api<{ items: Shop[] }>('/api/shops') });
}
