/* The records of the IPC series' file-mapping article. `long` is 4 bytes on
 * Windows and 8 on 64-bit Linux, so the struct is 24 and 32 bytes: ipckit's
 * defineStruct({ ID: 'long', name: 'char[20]' }) lays it out the same way. */
#ifndef STUDENT_H
#define STUDENT_H

struct student {
  long ID;
  char name[20];
};

#define STUDENT_COUNT 30

#endif
