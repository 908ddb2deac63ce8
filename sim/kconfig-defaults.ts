// The Kconfig the simulator assumes unless the config says otherwise: the options under which the refcount
// paths it checks exist (ZONE_DEVICE, DEVICE_PRIVATE, FS_DAX, MEMORY_FAILURE ...), and DEBUG_VM so that
// VM_BUG_ON_PAGE() checks run. Kept apart so the command line can read it without loading the simulator.
import type { Kconfig } from './frontend/ast.ts';

export const DEFAULT_KCONFIG: Kconfig = {
  CONFIG_MMU: 'y',
  CONFIG_ZONE_DEVICE: 'y',
  CONFIG_DEVICE_PRIVATE: 'y',
  CONFIG_DEVICE_PUBLIC: 'y',
  CONFIG_FS_DAX: 'y',
  CONFIG_DEV_PAGEMAP_OPS: 'y',
  CONFIG_HMM: 'y',
  CONFIG_HMM_MIRROR: 'y',
  CONFIG_MEMORY_FAILURE: 'y',
  CONFIG_MEMORY_HOTPLUG: 'y',
  CONFIG_MIGRATION: 'y',
  CONFIG_COMPACTION: 'y',
  CONFIG_IDLE_PAGE_TRACKING: 'y',
  CONFIG_PAGE_IDLE_FLAG: 'y',
  CONFIG_SPARSEMEM: 'y',
  CONFIG_SPARSEMEM_VMEMMAP: 'y',
  CONFIG_TRANSPARENT_HUGEPAGE: 'y',
  CONFIG_DEBUG_VM: 'y',
  CONFIG_64BIT: 'y',
  CONFIG_SMP: 'y',
  CONFIG_NUMA: 'y',
  CONFIG_DEBUG_PAGE_REF: 'n',
  CONFIG_TRACEPOINTS: 'n',
};
