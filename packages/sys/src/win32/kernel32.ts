/**
 * kernel32.dll through koffi: every Win32 call ipckit makes, each declared
 * once with its C signature and a link to its manual page. The DLL loads on
 * the first call to {@link kernel32}. Handles are pointer-sized integers
 * (`intptr_t`): 0 is NULL and -1 is INVALID_HANDLE_VALUE. Mapped views are
 * koffi pointers, so `koffi.view(pointer, length)` gives an ArrayBuffer.
 */
import koffi from 'koffi';
import type { IpcError } from '@ipckit/core';
import { win32CodeError } from '../errors.js';
import type { Pointer } from '../pointer.js';

export {
  ERROR_ACCESS_DENIED,
  ERROR_ALREADY_EXISTS,
  ERROR_BROKEN_PIPE,
  ERROR_FILE_EXISTS,
  ERROR_FILE_NOT_FOUND,
  ERROR_INSUFFICIENT_BUFFER,
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_OWNER,
  ERROR_PATH_NOT_FOUND,
  ERROR_SEM_TIMEOUT,
  ERROR_TOO_MANY_POSTS,
  WAIT_TIMEOUT,
} from '../errors.js';
export { addressOf, isNull, viewOf, type Pointer } from '../pointer.js';

/** A Win32 HANDLE as a pointer-sized integer. */
export type Handle = number | bigint;

export const INVALID_HANDLE_VALUE = -1;
export const PAGE_READONLY = 0x02;
export const PAGE_READWRITE = 0x04;
export const FILE_MAP_WRITE = 0x0002;
export const FILE_MAP_READ = 0x0004;
export const FILE_MAP_ALL_ACCESS = 0x000f001f;
export const SEC_COMMIT = 0x08000000;
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const FILE_SHARE_READ = 0x1;
export const FILE_SHARE_WRITE = 0x2;
export const FILE_SHARE_DELETE = 0x4;
export const CREATE_NEW = 1;
export const CREATE_ALWAYS = 2;
export const OPEN_EXISTING = 3;
export const OPEN_ALWAYS = 4;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
export const FILE_FLAG_OPEN_REPARSE_POINT = 0x00200000;
export const MAILSLOT_NO_MESSAGE = 0xffffffff;
export const MAILSLOT_WAIT_FOREVER = 0xffffffff;
export const SYNCHRONIZE = 0x00100000;
export const MUTEX_MODIFY_STATE = 0x0001;
export const SEMAPHORE_MODIFY_STATE = 0x0002;
export const EVENT_MODIFY_STATE = 0x0002;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const WAIT_OBJECT_0 = 0;
export const WAIT_ABANDONED = 0x80;
export const WAIT_FAILED = 0xffffffff;
export const INFINITE = 0xffffffff;
export const MEM_COMMIT = 0x1000;
export const MEM_RESERVE = 0x2000;
export const MEM_RELEASE = 0x8000;
export const STILL_ACTIVE = 259;

/** SYSTEM_INFO (https://learn.microsoft.com/windows/win32/api/sysinfoapi/ns-sysinfoapi-system_info). */
function defineStructs(): void {
  koffi.struct('IPCKIT_SYSTEM_INFO', {
    wProcessorArchitecture: 'uint16_t',
    wReserved: 'uint16_t',
    dwPageSize: 'uint32_t',
    lpMinimumApplicationAddress: 'void *',
    lpMaximumApplicationAddress: 'void *',
    dwActiveProcessorMask: 'uintptr_t',
    dwNumberOfProcessors: 'uint32_t',
    dwProcessorType: 'uint32_t',
    dwAllocationGranularity: 'uint32_t',
    wProcessorLevel: 'uint16_t',
    wProcessorRevision: 'uint16_t',
  });

  /** MEMORY_BASIC_INFORMATION (https://learn.microsoft.com/windows/win32/api/winnt/ns-winnt-memory_basic_information). */
  koffi.struct('IPCKIT_MEMORY_BASIC_INFORMATION', {
    BaseAddress: 'void *',
    AllocationBase: 'void *',
    AllocationProtect: 'uint32_t',
    PartitionId: 'uint16_t',
    RegionSize: 'size_t',
    State: 'uint32_t',
    Protect: 'uint32_t',
    Type: 'uint32_t',
  });
}

function bind() {
  defineStructs();
  const lib = koffi.load('kernel32.dll');
  return {
    /** https://learn.microsoft.com/windows/win32/api/errhandlingapi/nf-errhandlingapi-getlasterror */
    GetLastError: lib.func('uint32_t __stdcall GetLastError()') as () => number,
    /** https://learn.microsoft.com/windows/win32/api/handleapi/nf-handleapi-closehandle */
    CloseHandle: lib.func('int __stdcall CloseHandle(intptr_t hObject)') as (h: Handle) => number,
    /** https://learn.microsoft.com/windows/win32/api/sysinfoapi/nf-sysinfoapi-getsysteminfo */
    GetSystemInfo: lib.func('void __stdcall GetSystemInfo(_Out_ IPCKIT_SYSTEM_INFO *info)') as (out: Record<string, unknown>) => void,
    /** https://learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-getcurrentprocessid */
    GetCurrentProcessId: lib.func('uint32_t __stdcall GetCurrentProcessId()') as () => number,
    /** https://learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-openprocess */
    OpenProcess: lib.func('intptr_t __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)') as (
      access: number,
      inherit: number,
      pid: number,
    ) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-getexitcodeprocess */
    GetExitCodeProcess: lib.func('int __stdcall GetExitCodeProcess(intptr_t hProcess, _Out_ uint32_t *code)') as (h: Handle, out: number[]) => number,
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-waitforsingleobject */
    WaitForSingleObject: lib.func('uint32_t __stdcall WaitForSingleObject(intptr_t h, uint32_t ms)') as (h: Handle, ms: number) => number,

    // Named synchronization objects (their waits and ReleaseMutex run on @ipckit/native's threads)
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-createmutexw */
    CreateMutexW: lib.func('intptr_t __stdcall CreateMutexW(void *sa, int initialOwner, const char16_t *name)') as (
      sa: null,
      initialOwner: number,
      name: string,
    ) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-openmutexw */
    OpenMutexW: lib.func('intptr_t __stdcall OpenMutexW(uint32_t access, int inherit, const char16_t *name)') as (
      access: number,
      inherit: number,
      name: string,
    ) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-createsemaphorew */
    CreateSemaphoreW: lib.func('intptr_t __stdcall CreateSemaphoreW(void *sa, int32_t initial, int32_t maximum, const char16_t *name)') as (
      sa: null,
      initial: number,
      maximum: number,
      name: string,
    ) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-opensemaphorew */
    OpenSemaphoreW: lib.func('intptr_t __stdcall OpenSemaphoreW(uint32_t access, int inherit, const char16_t *name)') as (
      access: number,
      inherit: number,
      name: string,
    ) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-releasesemaphore */
    ReleaseSemaphore: lib.func('int __stdcall ReleaseSemaphore(intptr_t h, int32_t count, _Out_ int32_t *previous)') as (
      h: Handle,
      count: number,
      previous: number[],
    ) => number,
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-createeventw */
    CreateEventW: lib.func('intptr_t __stdcall CreateEventW(void *sa, int manualReset, int initialState, const char16_t *name)') as (
      sa: null,
      manualReset: number,
      initialState: number,
      name: string,
    ) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-openeventw */
    OpenEventW: lib.func('intptr_t __stdcall OpenEventW(uint32_t access, int inherit, const char16_t *name)') as (
      access: number,
      inherit: number,
      name: string,
    ) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-setevent */
    SetEvent: lib.func('int __stdcall SetEvent(intptr_t h)') as (h: Handle) => number,
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-resetevent */
    ResetEvent: lib.func('int __stdcall ResetEvent(intptr_t h)') as (h: Handle) => number,

    // File mappings
    /** https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-createfilemappingw */
    CreateFileMappingW: lib.func(
      'intptr_t __stdcall CreateFileMappingW(intptr_t hFile, void *sa, uint32_t protect, uint32_t sizeHigh, uint32_t sizeLow, const char16_t *name)',
    ) as (hFile: Handle, sa: null, protect: number, sizeHigh: number, sizeLow: number, name: string | null) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-openfilemappingw */
    OpenFileMappingW: lib.func('intptr_t __stdcall OpenFileMappingW(uint32_t access, int inherit, const char16_t *name)') as (
      access: number,
      inherit: number,
      name: string,
    ) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-mapviewoffile */
    MapViewOfFile: lib.func('void * __stdcall MapViewOfFile(intptr_t h, uint32_t access, uint32_t offsetHigh, uint32_t offsetLow, size_t bytes)') as (
      h: Handle,
      access: number,
      offsetHigh: number,
      offsetLow: number,
      bytes: number,
    ) => Pointer,
    /** https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-unmapviewoffile */
    UnmapViewOfFile: lib.func('int __stdcall UnmapViewOfFile(void *base)') as (base: Pointer) => number,
    /** https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-flushviewoffile */
    FlushViewOfFile: lib.func('int __stdcall FlushViewOfFile(void *base, size_t bytes)') as (base: Pointer, bytes: number) => number,
    /** https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-virtualquery */
    VirtualQuery: lib.func('size_t __stdcall VirtualQuery(void *address, _Out_ IPCKIT_MEMORY_BASIC_INFORMATION *info, size_t length)') as (
      address: Pointer,
      out: Record<string, unknown>,
      length: number,
    ) => number,

    // Files
    /** https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-createfilew */
    CreateFileW: lib.func(
      'intptr_t __stdcall CreateFileW(const char16_t *name, uint32_t access, uint32_t share, void *sa, uint32_t disposition, uint32_t flags, intptr_t template)',
    ) as (name: string, access: number, share: number, sa: null, disposition: number, flags: number, template: Handle) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-getfilesizeex */
    GetFileSizeEx: lib.func('int __stdcall GetFileSizeEx(intptr_t h, _Out_ int64_t *size)') as (h: Handle, out: Array<number | bigint>) => number,
    /** https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-flushfilebuffers */
    FlushFileBuffers: lib.func('int __stdcall FlushFileBuffers(intptr_t h)') as (h: Handle) => number,
    /** https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-readfile */
    ReadFile: lib.func('int __stdcall ReadFile(intptr_t h, _Out_ uint8_t *buffer, uint32_t toRead, _Out_ uint32_t *read, void *overlapped)') as ((
      h: Handle,
      buffer: Uint8Array,
      toRead: number,
      read: number[],
      overlapped: null,
    ) => number) & { async: (...args: unknown[]) => void },
    /** https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-writefile */
    WriteFile: lib.func('int __stdcall WriteFile(intptr_t h, const uint8_t *buffer, uint32_t toWrite, _Out_ uint32_t *written, void *overlapped)') as ((
      h: Handle,
      buffer: Uint8Array,
      toWrite: number,
      written: number[],
      overlapped: null,
    ) => number) & { async: (...args: unknown[]) => void },

    // Named pipes
    /** https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-waitnamedpipew */
    WaitNamedPipeW: lib.func('int __stdcall WaitNamedPipeW(const char16_t *name, uint32_t timeoutMs)') as (name: string, timeoutMs: number) => number,

    // Mailslots
    /** https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-createmailslotw */
    CreateMailslotW: lib.func('intptr_t __stdcall CreateMailslotW(const char16_t *name, uint32_t maxMessageSize, uint32_t readTimeout, void *sa)') as (
      name: string,
      maxMessageSize: number,
      readTimeout: number,
      sa: null,
    ) => Handle,
    /** https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-getmailslotinfo */
    GetMailslotInfo: lib.func(
      'int __stdcall GetMailslotInfo(intptr_t h, _Out_ uint32_t *maxMessageSize, _Out_ uint32_t *nextSize, _Out_ uint32_t *messageCount, _Out_ uint32_t *readTimeout)',
    ) as (h: Handle, max: number[] | null, next: number[] | null, count: number[] | null, timeout: number[] | null) => number,
    /** https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-setmailslotinfo */
    SetMailslotInfo: lib.func('int __stdcall SetMailslotInfo(intptr_t h, uint32_t readTimeout)') as (h: Handle, readTimeout: number) => number,

    // Virtual memory
    /** https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-virtualalloc */
    VirtualAlloc: lib.func('void * __stdcall VirtualAlloc(void *address, size_t size, uint32_t type, uint32_t protect)') as (
      address: Pointer,
      size: number,
      type: number,
      protect: number,
    ) => Pointer,
    /** https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-virtualfree */
    VirtualFree: lib.func('int __stdcall VirtualFree(void *address, size_t size, uint32_t type)') as (address: Pointer, size: number, type: number) => number,
  };
}

/** The bound kernel32 functions. */
export type Kernel32 = ReturnType<typeof bind>;

let bound: Kernel32 | undefined;

/** kernel32.dll's functions, loaded on first use. Only call this on Windows. */
export function kernel32(): Kernel32 {
  return (bound ??= bind());
}

/**
 * Builds the IpcError for a Win32 call that just failed. Call it right after
 * the failing call: koffi keeps GetLastError() intact between its calls, and
 * nothing else may run in between.
 */
export function win32Error(syscall: string, path?: string, message?: string): IpcError {
  return win32CodeError(kernel32().GetLastError(), syscall, path, message);
}

/** True when a returned HANDLE is NULL or INVALID_HANDLE_VALUE. */
export function isBadHandle(handle: Handle): boolean {
  return handle === 0 || handle === -1 || handle === 0n || handle === -1n;
}

/** The allocation granularity (view offsets must be multiples of it; 64 KiB on current Windows). */
export function allocationGranularity(): number {
  const info: Record<string, unknown> = {};
  kernel32().GetSystemInfo(info);
  return Number(info['dwAllocationGranularity']);
}

/** The size of the memory region at `address` (VirtualQuery's RegionSize), or throws. */
export function regionSize(address: Pointer): number {
  const info: Record<string, unknown> = {};
  if (kernel32().VirtualQuery(address, info, koffi.sizeof('IPCKIT_MEMORY_BASIC_INFORMATION')) === 0) throw win32Error('VirtualQuery');
  return Number(info['RegionSize']);
}
