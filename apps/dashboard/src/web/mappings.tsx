import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { type AllPages, fetchAllPages, truncatedNote } from './all-pages.ts';
import { api, qs } from './api.ts';
import { useShops } from './hooks.ts';
import type { ProductMapping, Release } from './types.ts';
import { QueryView, scrollRegion } from './ui.tsx';

function MappingRow({ mapping, release }: { mapping: ProductMapping; release: Release }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [reported, setReported] = useState(mapping.reportedRelease);
  const [fanPack, setFanPack] = useState(mapping.fanPack);
  const [trackId, setTrackId] = useState(mapping.trackId ?? '');
  const ids = useId();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['mappings', release.id] });
  const save = useMutation({
    mutationFn: () =>
      api<ProductMapping>(`/api/product-mappings/${mapping.id}`, {
        method: 'PATCH',
        // reportedRelease can only be set (it makes this mapping the one a bundle reports); unchanged fields stay out.
        body: {
          fanPack,
          ...(reported && !mapping.reportedRelease ? { reportedRelease: true } : {}),
          ...((trackId || null) !== mapping.trackId ? { trackId: trackId || null } : {}),
        },
      }),
    onSuccess: async (saved) => {
      // The row shows the saved mapping at once, then the list is fetched again (a reported release moves).
      queryClient.setQueryData<AllPages<ProductMapping>>(['mappings', release.id], (page) =>
        page ? { ...page, items: page.items.map((m) => (m.id === saved.id ? saved : m)) } : page,
      );
      setEditing(false);
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => api<void>(`/api/product-mappings/${mapping.id}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const product = [
    mapping.productId && `product ${mapping.productId}`,
    mapping.variantId && `variant ${mapping.variantId}`,
    mapping.sku && `SKU ${mapping.sku}`,
  ]
    .filter(Boolean)
    .join(', ');
  const track = release.tracks.find((t) => t.id === mapping.trackId);
  return (
    <tr data-testid="mapping-row">
      <td>{mapping.shopDomain}</td>
      <td>{product}</td>
      <td>
        {editing ? (
          <div>
            <label>
              <input
                type="checkbox"
                checked={reported}
                disabled={mapping.reportedRelease}
                onChange={(e) => setReported(e.target.checked)}
              />{' '}
              Reported release
            </label>
            <label>
              <input type="checkbox" checked={fanPack} onChange={(e) => setFanPack(e.target.checked)} /> Approved fan
              pack
            </label>
            <label htmlFor={`${ids}-track`}>Track</label>
            <select id={`${ids}-track`} value={trackId} onChange={(e) => setTrackId(e.target.value)}>
              <option value="">Whole release</option>
              {release.tracks.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.position}. {t.title}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <>
            {mapping.reportedRelease ? 'Reported release' : 'Not the reported release'}
            {mapping.fanPack ? ', fan pack' : ''}
            {track ? `, track ${track.title}` : ', whole release'}
          </>
        )}
      </td>
      <td>
        {editing ? (
          <>
            <button type="button" className="primary" onClick={() => save.mutate()} disabled={save.isPending}>
              Save
            </button>{' '}
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </>
        ) : (
          <>
            <button type="button" onClick={() => setEditing(true)} aria-label={`Edit mapping ${product}`}>
              Edit
            </button>{' '}
            <button
              type="button"
              className="danger"
              aria-label={`Delete mapping ${product}`}
              onClick={() => {
                if (window.confirm(`Delete the mapping of ${product}?`)) remove.mutate();
              }}
            >
              Delete
            </button>
          </>
        )}
        {save.isError ? (
          <p className="error" role="alert">
            {save.error.message}
          </p>
        ) : null}
        {remove.isError ? (
          <p className="error" role="alert">
            {remove.error.message}
          </p>
        ) : null}
      </td>
    </tr>
  );
}

function CreateMapping({ release }: { release: Release }) {
  const queryClient = useQueryClient();
  const shops = useShops();
  const [shopDomain, setShopDomain] = useState('');
  const [variantId, setVariantId] = useState('');
  const [productId, setProductId] = useState('');
  const [sku, setSku] = useState('');
  const ids = useId();
  const create = useMutation({
    mutationFn: () =>
      api<ProductMapping>('/api/product-mappings', {
        method: 'POST',
        body: {
          shopDomain: shopDomain || shops.data?.items[0]?.domain,
          releaseId: release.id,
          ...(productId ? { productId } : {}),
          ...(variantId ? { variantId } : {}),
          ...(sku ? { sku } : {}),
        },
      }),
    onSuccess: async () => {
      setVariantId('');
      setProductId('');
      setSku('');
      await queryClient.invalidateQueries({ queryKey: ['mappings', release.id] });
    },
  });
  return (
    <form
      className="row"
      aria-label={`New product mapping for ${release.title}`}
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <div>
        <label htmlFor={`${ids}-shop`}>Store</label>
        <select id={`${ids}-shop`} value={shopDomain} onChange={(e) => setShopDomain(e.target.value)}>
          {(shops.data?.items ?? []).map((s) => (
            <option key={s.id} value={s.domain}>
              {s.domain}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={`${ids}-product`}>Product id</label>
        <input
          id={`${ids}-product`}
          inputMode="numeric"
          value={productId}
          onChange={(e) => setProductId(e.target.value)}
        />
      </div>
      <div>
        <label htmlFor={`${ids}-variant`}>Variant id</label>
        <input
          id={`${ids}-variant`}
          inputMode="numeric"
          value={variantId}
          onChange={(e) => setVariantId(e.target.value)}
        />
      </div>
      <div>
        <label htmlFor={`${ids}-sku`}>SKU</label>
        <input id={`${ids}-sku`} value={sku} onChange={(e) => setSku(e.target.value)} />
      </div>
      <button type="submit" disabled={create.isPending}>
        Add mapping
      </button>
      {create.isError ? (
        <p className="error" role="alert">
          {create.error.message}
        </p>
      ) : null}
    </form>
  );
}

export function Mappings({ release }: { release: Release }) {
  const mappings = useQuery({
    queryKey: ['mappings', release.id],
    queryFn: () => fetchAllPages<ProductMapping>(`/api/product-mappings${qs({ releaseId: release.id })}`),
  });
  return (
    <>
      <h3>Product mappings</h3>
      <QueryView query={mappings} what="product mappings">
        {(data) => (
          <>
            {data.truncated ? (
              <p className="hint" role="note">
                {truncatedNote('product mappings')}
              </p>
            ) : null}
            <div className="table-wrap" {...scrollRegion('Product mappings')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Store</th>
                    <th scope="col">Product</th>
                    <th scope="col">Reporting</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((m) => (
                    <MappingRow key={m.id} mapping={m} release={release} />
                  ))}
                  {data.items.length === 0 ? (
                    <tr>
                      <td colSpan={4}>No storefront product sells this release yet.</td>
                    </tr>
                  ) : null}
                </tbody>
              </table>
            </div>
          </>
        )}
      </QueryView>
      <CreateMapping release={release} />
    </>
  );
}
