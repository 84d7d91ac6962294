/** The request items table for `call --help` (the README has the same table). */
export const REQUEST_ITEMS_HELP = `REQUEST ITEMS (after MODEL and ENDPOINT, as httpie's)
  key=value       JSON string field           input=Hola
  key:=json       raw JSON (number, bool...)  max_tokens:=16  stop:='["\\n"]'
  key=@file       a file's text, as a string  prompt=@prompt.txt
  key:=@file      a file's JSON               options:=@options.json
  a[0][b]=value   nested keys; [] appends     'messages[0][role]=user'
  field@file      multipart file upload       'file@talk.wav;type=audio/wav'
  Header:Value    request header              X-Trace:abc
  name==value     query parameter             api-version==2024-10-21
  A backslash makes = : @ literal (a\\=b=c). Items add to a --json/--data
  object; with --form or a field@file, key=value and key=@file are form
  fields. With body items, stdin is not read.`;
