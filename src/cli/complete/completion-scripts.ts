import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * oclif's autocomplete plugin writes shell functions that complete commands and flags. After it has written them,
 * each gets a few lines that ask `BIN __complete WORDS...` for the aliases after `call` and the endpoints after
 * an alias, and fall back to the plugin's own completion otherwise. Marked, so a refresh patches once.
 */
const MARK = '# llmpass: aliases and endpoints after `call`';

const bash = (bin: string) => `
${MARK}
_${bin}_dynamic()
{
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [[ "\${COMP_WORDS[1]}" == "call" && "$cur" != -* && $COMP_CWORD -ge 2 ]]; then
    local IFS=$'\\n' found
    found=$(${bin} __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)
    if [[ -n "$found" ]]; then
      COMPREPLY=($(compgen -W "$found" -- "$cur"))
      return 0
    fi
    COMPREPLY=()
    return 0
  fi
  _${bin}_autocomplete
}
complete -o default -F _${bin}_dynamic ${bin}
`;

const zsh = (bin: string) => `${MARK}
  if [[ $words[2] == call && $words[CURRENT] != -* ]] && (( CURRENT > 2 )); then
    local -a llmpass_found
    llmpass_found=(\${(f)"$(${bin} __complete \${words[2,CURRENT-1]} 2>/dev/null)"})
    if (( \${#llmpass_found} )); then
      compadd -a llmpass_found
      return
    fi
  fi
`;

const powershell = (bin: string) => `    ${MARK}
    $llmpassWords = @($CommandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
    if ($WordToComplete -ne '' -and $llmpassWords.Count -gt 0) { $llmpassWords = @($llmpassWords | Select-Object -First ($llmpassWords.Count - 1)) }
    if ($llmpassWords.Count -ge 1 -and $llmpassWords[0] -eq 'call' -and -not $WordToComplete.StartsWith('-')) {
      $llmpassFound = @(& ${bin} __complete @llmpassWords 2>$null)
      if ($llmpassFound.Count -gt 0) {
        $llmpassFound | Where-Object { $_ -like "$WordToComplete*" } | ForEach-Object { [CompletionResult]::new($_, $_, [CompletionResultType]::ParameterValue, $_) }
        return
      }
    }
`;

async function patch(path: string, edit: (text: string) => string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return; // that shell's functions were not written
  }
  if (text.includes(MARK)) return;
  await writeFile(path, edit(text));
}

function insertAfter(text: string, anchor: RegExp, addition: string): string {
  const match = anchor.exec(text);
  if (!match) return text;
  const at = match.index + match[0].length;
  return text.slice(0, at) + addition + text.slice(at);
}

/** Adds alias and endpoint completion to the functions the plugin wrote under `cacheDir`/autocomplete. */
export async function addDynamicCompletion(cacheDir: string, bin: string): Promise<void> {
  const functions = join(cacheDir, 'autocomplete', 'functions');
  await patch(join(functions, 'bash', `${bin}.bash`), (text) => text + bash(bin));
  await patch(join(functions, 'zsh', `_${bin}`), (text) => insertAfter(text, new RegExp(`^_${bin}\\(\\) \\{\\n`, 'm'), zsh(bin)));
  await patch(join(functions, 'powershell', `${bin}.ps1`), (text) => insertAfter(text, /param\(\$WordToComplete, \$CommandAst, \$CursorPosition\)\n/, powershell(bin)));
}
