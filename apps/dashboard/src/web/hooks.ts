import { useQuery } from '@tanstack/react-query';
import { api } from './api.ts';
import type { Page, Release, Shop } from './types.ts';

export function useReleases() {
  return useQuery({ queryKey: ['releases'], queryFn: () => api<Page<Release>>('/api/releases?limit=100') });
}

export function useShops() {
  return useQuery({ queryKey: ['shops'], queryFn: () => api<{ items: Shop[] }>('/api/shops') });
}
