// Campaign editor: each colour picker writes its choice into its #rrggbb text field (the field the server reads),
// and a valid typed value moves the picker.
for (const picker of document.querySelectorAll('input[type="color"][data-colour-for]')) {
  const text = document.getElementById(picker.dataset.colourFor)
  if (!text) continue
  picker.addEventListener('input', () => { text.value = picker.value })
  text.addEventListener('input', () => { if (/^#[0-9a-f]{6}$/i.test(text.value.trim())) picker.value = text.value.trim().toLowerCase() })
}
